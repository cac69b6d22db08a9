import type { SyntaxNode } from "@lezer/common";
import { AppError } from "../../lib/errors";
import { compileRegex } from "../regex";
import type { InstantSample, Labels, Sample } from "../types";
import type { Evaluator } from "./promql-eval";
import {
  dateParts,
  doubleExponentialSmoothing,
  extrapolatedRate,
  linearRegression,
  math1,
  overTime,
  quantile,
  roundTo,
} from "./promql-functions";
import { bucketFraction, quantileLabel } from "./promql-histogram";
import {
  dropName,
  expandTemplate,
  isLabelName,
  kids,
  naturalCompare,
  sig,
  type Value,
  type Vec,
} from "./promql-util";

// PromQL function calls (rate, label_replace, histogram_quantile, ...), evaluated against an Evaluator.

export function callFunction(ev: Evaluator, n: SyntaxNode, t: number): Value {
  const id = kids(n).find((c) => c.name === "FunctionIdentifier") as SyntaxNode;
  const name = ev.text(id);
  const args = ev.args(n);
  const a0 = args[0] as SyntaxNode;
  const perSeries = (fn: (s: Sample[], start: number, end: number) => number | null): Vec => {
    const { series, start, end } = ev.rangeOf(a0, t);
    const samples: InstantSample[] = [];
    for (const s of series) {
      const v = fn(s.samples, start, end);
      if (v !== null)
        samples.push({ labels: name === "last_over_time" ? s.labels : dropName(s.labels), t, v });
    }
    return { type: "vector", samples };
  };
  switch (name) {
    case "rate":
      return perSeries((s, a, b) => extrapolatedRate(s, a, b, true, true));
    case "increase":
      return perSeries((s, a, b) => extrapolatedRate(s, a, b, true, false));
    case "delta":
      return perSeries((s, a, b) => extrapolatedRate(s, a, b, false, false));
    case "irate":
      return perSeries((s) => {
        if (s.length < 2) return null;
        const [p, l] = s.slice(-2) as [Sample, Sample];
        return ((l.v < p.v ? l.v : l.v - p.v) / (l.t - p.t)) * 1000;
      });
    case "time":
      return { type: "scalar", v: t / 1000 };
    case "vector":
      return { type: "vector", samples: [{ labels: {}, t, v: ev.num(a0, t) }] };
    case "scalar": {
      const v = ev.vec(a0, t);
      return { type: "scalar", v: v.samples.length === 1 ? (v.samples[0] as InstantSample).v : Number.NaN };
    }
    case "absent": {
      const v = ev.vec(a0, t);
      if (v.samples.length) return { type: "vector", samples: [] };
      return { type: "vector", samples: [{ labels: absentLabels(ev, a0), t, v: 1 }] };
    }
    case "clamp_min":
    case "clamp_max": {
      const bound = ev.num(args[1] as SyntaxNode, t);
      const f = name === "clamp_min" ? Math.max : Math.min;
      return {
        type: "vector",
        samples: ev.vec(a0, t).samples.map((s) => ({ labels: dropName(s.labels), t, v: f(s.v, bound) })),
      };
    }
    case "histogram_quantile": {
      const q = ev.num(a0, t);
      ev.checkQuantile(q, a0);
      const arg = args[1] as SyntaxNode;
      const groups = ev.buckets(arg, t);
      return {
        type: "vector",
        samples: ev.unique(
          n,
          groups.map((g) => ({ labels: g.labels, t, v: ev.quantileOf(q, g, arg) })),
        ),
      };
    }
    case "histogram_quantiles": {
      const groups = ev.buckets(a0, t);
      const label = str(ev, args[1] as SyntaxNode, t);
      const qs = args.slice(2).map((a) => {
        const q = ev.num(a, t);
        ev.checkQuantile(q, a);
        return q;
      });
      const out: InstantSample[] = [];
      for (const q of qs)
        for (const g of groups)
          out.push({ labels: { ...g.labels, [label]: quantileLabel(q) }, t, v: ev.quantileOf(q, g, a0) });
      return { type: "vector", samples: ev.unique(n, out) };
    }
    case "histogram_fraction": {
      const lo = ev.num(a0, t);
      const hi = ev.num(args[1] as SyntaxNode, t);
      const groups = ev.buckets(args[2] as SyntaxNode, t);
      return {
        type: "vector",
        samples: groups.map((g) => ({ labels: g.labels, t, v: bucketFraction(lo, hi, g.buckets) })),
      };
    }
    case "idelta":
      return perSeries((s) => {
        if (s.length < 2) return null;
        const [p, l] = s.slice(-2) as [Sample, Sample];
        return l.v - p.v;
      });
    case "deriv":
      return perSeries((s) => (s.length < 2 ? null : linearRegression(s, (s[0] as Sample).t).slope));
    case "predict_linear": {
      const secs = ev.num(args[1] as SyntaxNode, t);
      // The intercept is at the evaluation time, even under `@`.
      return perSeries((s) => {
        if (s.length < 2) return null;
        const { slope, intercept } = linearRegression(s, t);
        return slope * secs + intercept;
      });
    }
    case "quantile_over_time": {
      const q = ev.num(a0, t);
      ev.checkQuantile(q, a0);
      const { series } = ev.rangeOf(args[1] as SyntaxNode, t);
      return {
        type: "vector",
        samples: series.map((s) => ({
          labels: dropName(s.labels),
          t,
          v: quantile(
            q,
            s.samples.map((x) => x.v),
          ),
        })),
      };
    }
    case "double_exponential_smoothing":
    case "holt_winters": {
      const sf = ev.num(args[1] as SyntaxNode, t);
      const tf = ev.num(args[2] as SyntaxNode, t);
      if (!(sf > 0 && sf < 1)) ev.fail(n, `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
      if (!(tf > 0 && tf < 1)) ev.fail(n, `invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
      return perSeries((s) => doubleExponentialSmoothing(s, sf, tf));
    }
    case "absent_over_time": {
      const { series } = ev.rangeOf(a0, t);
      if (series.length) return { type: "vector", samples: [] };
      return { type: "vector", samples: [{ labels: absentLabels(ev, a0), t, v: 1 }] };
    }
    case "timestamp": {
      const { node, time } = ev.resolveTime(a0, t);
      const v = node.name === "VectorSelector" ? ev.instantVector(node, time) : ev.vec(a0, t);
      return {
        type: "vector",
        samples: v.samples.map((s) => ({ labels: dropName(s.labels), t, v: s.t / 1000 })),
      };
    }
    case "start":
    case "end":
      return { type: "scalar", v: (name === "start" ? ev.query.start : ev.query.end) / 1000 };
    case "step":
      return { type: "scalar", v: ev.query.step / 1000 };
    case "range":
      return { type: "scalar", v: (ev.query.end - ev.query.start) / 1000 };
    case "min_of":
    case "max_of": {
      const xs = args.map((a) => ev.num(a, t));
      return { type: "scalar", v: name === "min_of" ? Math.min(...xs) : Math.max(...xs) };
    }
    case "pi":
      return { type: "scalar", v: Math.PI };
    case "round": {
      const to = args[1] ? ev.num(args[1], t) : 1;
      return {
        type: "vector",
        samples: ev.vec(a0, t).samples.map((s) => ({
          labels: dropName(s.labels),
          t,
          v: roundTo(s.v, to),
        })),
      };
    }
    case "clamp": {
      const lo = ev.num(args[1] as SyntaxNode, t);
      const hi = ev.num(args[2] as SyntaxNode, t);
      const v = ev.vec(a0, t);
      if (lo > hi) return { type: "vector", samples: [] };
      return {
        type: "vector",
        samples: v.samples.map((s) => ({
          labels: dropName(s.labels),
          t,
          v: Math.max(lo, Math.min(hi, s.v)),
        })),
      };
    }
    case "sgn":
      return mapVec(ev, a0, t, (v) => (v > 0 ? 1 : v < 0 ? -1 : v));
    case "deg":
      return mapVec(ev, a0, t, (v) => (v * 180) / Math.PI);
    case "rad":
      return mapVec(ev, a0, t, (v) => (v * Math.PI) / 180);
    case "label_replace":
      return labelReplace(ev, n, args, t);
    case "label_join":
      return labelJoin(ev, n, args, t);
    case "sort_by_label":
    case "sort_by_label_desc": {
      sortInRange(ev, n);
      const v = ev.vec(a0, t);
      const names = args.slice(1).map((a) => str(ev, a, t));
      const dir = name === "sort_by_label" ? 1 : -1;
      const cmp = (x: InstantSample, y: InstantSample) => {
        for (const l of names) {
          const c = naturalCompare(x.labels[l] ?? "", y.labels[l] ?? "");
          if (c !== 0) return dir * c;
        }
        // Ties fall back to the full label set, as Prometheus does.
        return dir * naturalCompare(sig(x.labels, null, false), sig(y.labels, null, false));
      };
      return { type: "vector", samples: [...v.samples].sort(cmp) };
    }
    case "sort":
    case "sort_desc": {
      sortInRange(ev, n);
      const v = ev.vec(a0, t);
      const dir = name === "sort" ? 1 : -1;
      // NaN sorts last either way.
      const cmp = (x: InstantSample, y: InstantSample) =>
        Number.isNaN(x.v) ? (Number.isNaN(y.v) ? 0 : 1) : Number.isNaN(y.v) ? -1 : dir * (x.v - y.v);
      return { type: "vector", samples: [...v.samples].sort(cmp) };
    }
    default:
      if (name in overTime) return perSeries((s) => (overTime[name] as (s: Sample[]) => number)(s));
      if (name in dateParts) {
        const f = dateParts[name] as (d: Date) => number;
        const input: Vec = a0 ? ev.vec(a0, t) : { type: "vector", samples: [{ labels: {}, t, v: t / 1000 }] };
        return {
          type: "vector",
          samples: input.samples.map((s) => ({
            labels: dropName(s.labels),
            t,
            v: Number.isFinite(s.v) ? f(new Date(s.v * 1000)) : Number.NaN,
          })),
        };
      }
      if (name in math1) {
        const f = math1[name] as (v: number) => number;
        return {
          type: "vector",
          samples: ev.vec(a0, t).samples.map((s) => ({ labels: dropName(s.labels), t, v: f(s.v) })),
        };
      }
      return ev.fail(id, `function ${name} is not supported by the embedded engine yet`);
  }
}

/** absent()'s output labels: the equality matchers of a plain selector, unless a label is matched twice. */
function absentLabels(ev: Evaluator, arg: SyntaxNode): Labels {
  const { node } = ev.resolveTime(arg, 0);
  const sel = node.name === "MatrixSelector" ? (kids(node)[0] as SyntaxNode) : node;
  const labels: Labels = {};
  if (sel.name !== "VectorSelector") return labels;
  const ms = ev.matchers(sel);
  for (const m of ms) {
    if (m.name === "__name__") continue;
    if (ms.filter((x) => x.name === m.name).length > 1) continue;
    if (m.op === "=") labels[m.name] = m.value;
  }
  return labels;
}

function sortInRange(ev: Evaluator, n: SyntaxNode): void {
  if (ev.query.step > 0)
    ev.annotate(
      "warn",
      "sort is ineffective for range queries since results are always ordered by labels",
      n,
    );
}

function str(ev: Evaluator, n: SyntaxNode, t: number): string {
  const v = ev.eval(n, t);
  if (v.type !== "string") ev.fail(n, `expected a string, got ${v.type}`);
  return v.s;
}

function mapVec(ev: Evaluator, n: SyntaxNode, t: number, f: (v: number) => number): Vec {
  return {
    type: "vector",
    samples: ev.vec(n, t).samples.map((s) => ({ labels: dropName(s.labels), t, v: f(s.v) })),
  };
}

function labelReplace(ev: Evaluator, n: SyntaxNode, args: SyntaxNode[], t: number): Vec {
  const [vn, dn, rn, sn, ren] = args as [SyntaxNode, SyntaxNode, SyntaxNode, SyntaxNode, SyntaxNode];
  const v = ev.vec(vn, t);
  const dst = str(ev, dn, t);
  const repl = str(ev, rn, t);
  const src = str(ev, sn, t);
  const reText = str(ev, ren, t);
  let re: RegExp;
  try {
    re = compileRegex(reText, "anchored");
  } catch (err) {
    // A query limit keeps its own message; a pattern RE2 would refuse gets Prometheus's.
    if (err instanceof AppError) throw err;
    return ev.fail(ren, `invalid regular expression in label_replace(): ${reText}`);
  }
  if (!isLabelName(dst)) ev.fail(dn, `invalid destination label name in label_replace(): ${dst}`);
  const out = v.samples.map((s) => {
    const m = re.exec(s.labels[src] ?? "");
    if (!m) return s;
    const value = expandTemplate(repl, m);
    const labels = { ...s.labels };
    if (value === "") delete labels[dst];
    else labels[dst] = value;
    return { ...s, labels };
  });
  return { type: "vector", samples: ev.unique(n, out) };
}

function labelJoin(ev: Evaluator, n: SyntaxNode, args: SyntaxNode[], t: number): Vec {
  const [vn, dn, sepn, ...srcs] = args as [SyntaxNode, SyntaxNode, SyntaxNode, ...SyntaxNode[]];
  const v = ev.vec(vn, t);
  const dst = str(ev, dn, t);
  const sep = str(ev, sepn, t);
  const names = srcs.map((a) => str(ev, a, t));
  if (!isLabelName(dst)) ev.fail(dn, `invalid destination label name in label_join(): ${dst}`);
  const out = v.samples.map((s) => {
    const value = names.map((l) => s.labels[l] ?? "").join(sep);
    const labels = { ...s.labels };
    if (value === "") delete labels[dst];
    else labels[dst] = value;
    return { ...s, labels };
  });
  return { type: "vector", samples: ev.unique(n, out) };
}
