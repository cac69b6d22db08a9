import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { InstantSample, Labels, Matcher, QueryResult, Sample, SeriesQuerier } from "../types";
import { isStale } from "./store";

/** A query error with the position Prometheus would report. */
export class PromQLError extends Error {
  constructor(
    message: string,
    readonly position = 0,
  ) {
    super(message);
    this.name = "PromQLError";
  }
}

type Vec = { type: "vector"; samples: InstantSample[] };
type Value =
  | { type: "scalar"; v: number }
  | Vec
  | { type: "matrix"; series: { labels: Labels; samples: Sample[] }[] }
  | { type: "string"; s: string };

const lookbackMs = 300_000;
const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };

function duration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g))
    total += Number(m[1]) * (unit[m[2] as string] as number);
  if (total === 0 && /^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  return total;
}

const dropName = (l: Labels): Labels => {
  const { __name__: _, ...rest } = l;
  return rest;
};
const sig = (l: Labels, names: string[] | null, without: boolean) =>
  JSON.stringify(
    Object.keys(l)
      .filter((k) =>
        names === null ? true : without ? !names.includes(k) && k !== "__name__" : names.includes(k),
      )
      .sort()
      .map((k) => [k, l[k]]),
  );

function extrapolatedRate(
  s: Sample[],
  start: number,
  end: number,
  counter: boolean,
  isRate: boolean,
): number | null {
  if (s.length < 2) return null;
  const first = s[0] as Sample;
  const last = s[s.length - 1] as Sample;
  let result = last.v - first.v;
  if (counter)
    for (let i = 1; i < s.length; i++)
      if ((s[i] as Sample).v < (s[i - 1] as Sample).v) result += (s[i - 1] as Sample).v;
  let toStart = (first.t - start) / 1000;
  const toEnd = (end - last.t) / 1000;
  const sampled = (last.t - first.t) / 1000;
  const avg = sampled / (s.length - 1);
  if (counter && result > 0 && first.v >= 0) toStart = Math.min(toStart, sampled * (first.v / result));
  const threshold = avg * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : avg / 2;
  interval += toEnd < threshold ? toEnd : avg / 2;
  let factor = interval / sampled;
  if (isRate) factor /= (end - start) / 1000;
  return result * factor;
}

const overTime: Record<string, (s: Sample[]) => number> = {
  avg_over_time: (s) => s.reduce((a, x) => a + x.v, 0) / s.length,
  sum_over_time: (s) => s.reduce((a, x) => a + x.v, 0),
  min_over_time: (s) => Math.min(...s.map((x) => x.v)),
  max_over_time: (s) => Math.max(...s.map((x) => x.v)),
  count_over_time: (s) => s.length,
  last_over_time: (s) => (s[s.length - 1] as Sample).v,
  present_over_time: () => 1,
  changes: (s) => s.slice(1).filter((x, i) => x.v !== (s[i] as Sample).v).length,
  resets: (s) => s.slice(1).filter((x, i) => x.v < (s[i] as Sample).v).length,
};

const math1: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  round: Math.round,
};

function quantile(q: number, values: number[]): number {
  if (values.length === 0) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const s = [...values].sort((a, b) => a - b);
  const rank = q * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(s.length - 1, lo + 1);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (rank - lo);
}

/** Classic-bucket histogram_quantile, as Prometheus computes it (linear interpolation within a bucket). */
function bucketQuantile(q: number, buckets: { le: number; v: number }[]): number {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  if (b.length < 2 || (b.at(-1) as { le: number }).le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = (b.at(-1) as { v: number }).v;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let i = b.findIndex((x) => x.v >= rank);
  if (i === b.length - 1) return (b[b.length - 2] as { le: number }).le;
  if (i < 0) i = b.length - 1;
  const upper = b[i] as { le: number; v: number };
  const lowerLe = i === 0 ? 0 : (b[i - 1] as { le: number }).le;
  const lowerCount = i === 0 ? 0 : (b[i - 1] as { v: number }).v;
  if (i === 0 && upper.le <= 0) return upper.le;
  return lowerLe + (upper.le - lowerLe) * ((rank - lowerCount) / (upper.v - lowerCount));
}

const kids = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

export class Evaluator {
  constructor(
    private readonly q: SeriesQuerier,
    private readonly src: string,
  ) {}

  private text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  private fail(n: SyntaxNode, msg: string): never {
    throw new PromQLError(`1:${n.from + 1}: ${msg}`, n.from);
  }

  private matchers(sel: SyntaxNode): Matcher[] {
    const out: Matcher[] = [];
    for (const c of kids(sel)) {
      if (c.name === "Identifier") out.push({ name: "__name__", op: "=", value: this.text(c) });
      if (c.name !== "LabelMatchers") continue;
      for (const m of kids(c)) {
        const parts = kids(m);
        const nameNode = parts.find((p) => p.name === "LabelName" || p.name === "QuotedLabelName");
        const op = parts.find((p) => p.name === "MatchOp");
        const str = parts.filter((p) => p.name === "StringLiteral");
        if (m.name === "QuotedLabelMatcher" && !op) {
          out.push({ name: "__name__", op: "=", value: JSON.parse(this.text(str[0] as SyntaxNode)) });
          continue;
        }
        if (!nameNode || !op || str.length === 0) this.fail(m, "unexpected label matcher");
        const name =
          nameNode.name === "QuotedLabelName" ? JSON.parse(this.text(nameNode)) : this.text(nameNode);
        out.push({
          name,
          op: this.text(op) as Matcher["op"],
          value: this.stringLit(str.at(-1) as SyntaxNode),
        });
      }
    }
    return out;
  }

  private stringLit(n: SyntaxNode): string {
    const t = this.text(n);
    if (t.startsWith("`")) return t.slice(1, -1);
    if (t.startsWith("'")) return JSON.parse(`"${t.slice(1, -1).replace(/"/g, '\\"').replace(/\\'/g, "'")}"`);
    return JSON.parse(t);
  }

  private instantVector(sel: SyntaxNode, t: number): Vec {
    const series = this.q.select(this.matchers(sel), t - lookbackMs + 1, t);
    const samples: InstantSample[] = [];
    for (const s of series) {
      const last = s.samples.at(-1);
      if (last && !isStale(last.v)) samples.push({ labels: s.labels, t, v: last.v });
    }
    return { type: "vector", samples };
  }

  private rangeOf(
    n: SyntaxNode,
    t: number,
  ): { series: { labels: Labels; samples: Sample[] }[]; start: number; end: number } {
    let node = n;
    let offset = 0;
    if (node.name === "ParenExpr") node = kids(node)[0] as SyntaxNode;
    if (node.name === "OffsetExpr") {
      const [inner, , off] = kids(node);
      offset = this.signedDuration(off as SyntaxNode);
      node = inner as SyntaxNode;
    }
    if (node.name !== "MatrixSelector") this.fail(node, "expected a range vector, e.g. metric[5m]");
    const [sel, dur] = kids(node);
    const range = duration(this.text(dur as SyntaxNode));
    const end = t - offset;
    const start = end - range;
    const series = this.q
      .select(this.matchers(sel as SyntaxNode), start + 1, end)
      .map((s) => ({ labels: s.labels, samples: s.samples.filter((x) => x.t > start && !isStale(x.v)) }))
      .filter((s) => s.samples.length > 0);
    return { series, start, end };
  }

  private signedDuration(n: SyntaxNode): number {
    const t = this.text(n).trim();
    return t.startsWith("-") ? -duration(t.slice(1)) : duration(t);
  }

  eval(n: SyntaxNode, t: number): Value {
    switch (n.name) {
      case "PromQL":
        return this.eval(kids(n)[0] ?? this.fail(n, "empty query"), t);
      case "ParenExpr":
        return this.eval(kids(n)[0] as SyntaxNode, t);
      case "NumberDurationLiteral":
      case "NumberLiteral": {
        const txt = this.text(n);
        const v = /^[+-]?(inf|nan)$/i.test(txt)
          ? Number(txt.replace(/inf/i, "Infinity").replace(/nan/i, "NaN"))
          : /[a-z]$/i.test(txt)
            ? duration(txt) / 1000
            : Number(txt);
        return { type: "scalar", v };
      }
      case "StringLiteral":
        return { type: "string", s: this.stringLit(n) };
      case "VectorSelector":
        return this.instantVector(n, t);
      case "OffsetExpr": {
        const [inner, , off] = kids(n);
        if ((inner as SyntaxNode).name === "MatrixSelector")
          return this.fail(n, "range vectors need a function such as rate()");
        return this.instantVector(inner as SyntaxNode, t - this.signedDuration(off as SyntaxNode));
      }
      case "MatrixSelector":
        return { type: "matrix", series: this.rangeOf(n, t).series };
      case "UnaryExpr": {
        const [op, expr] = kids(n);
        const v = this.eval(expr as SyntaxNode, t);
        if (this.text(op as SyntaxNode) === "+") return v;
        if (v.type === "scalar") return { type: "scalar", v: -v.v };
        if (v.type === "vector")
          return {
            type: "vector",
            samples: v.samples.map((s) => ({ labels: dropName(s.labels), t, v: -s.v })),
          };
        return this.fail(n, "unary minus needs a number or an instant vector");
      }
      case "FunctionCall":
        return this.call(n, t);
      case "AggregateExpr":
        return this.aggregate(n, t);
      case "BinaryExpr":
        return this.binary(n, t);
      case "⚠":
        return this.fail(n, "parse error: unexpected input");
      default:
        return this.fail(n, `${n.name} is not supported by the embedded engine yet`);
    }
  }

  private args(n: SyntaxNode): SyntaxNode[] {
    const body = kids(n).find((c) => c.name === "FunctionCallBody");
    return body ? kids(body).filter((c) => c.name !== "⚠" || this.fail(c, "parse error in arguments")) : [];
  }

  private vec(n: SyntaxNode, t: number): Vec {
    const v = this.eval(n, t);
    if (v.type !== "vector") this.fail(n, `expected an instant vector, got ${v.type}`);
    return v;
  }

  private num(n: SyntaxNode, t: number): number {
    const v = this.eval(n, t);
    if (v.type !== "scalar") this.fail(n, `expected a scalar, got ${v.type}`);
    return v.v;
  }

  private call(n: SyntaxNode, t: number): Value {
    const id = kids(n).find((c) => c.name === "FunctionIdentifier") as SyntaxNode;
    const name = this.text(id);
    const args = this.args(n);
    const a0 = args[0] as SyntaxNode;
    const perSeries = (fn: (s: Sample[], start: number, end: number) => number | null): Vec => {
      const { series, start, end } = this.rangeOf(a0, t);
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
        return { type: "vector", samples: [{ labels: {}, t, v: this.num(a0, t) }] };
      case "scalar": {
        const v = this.vec(a0, t);
        return { type: "scalar", v: v.samples.length === 1 ? (v.samples[0] as InstantSample).v : Number.NaN };
      }
      case "absent": {
        const v = this.vec(a0, t);
        if (v.samples.length) return { type: "vector", samples: [] };
        const labels: Labels = {};
        if (a0.name === "VectorSelector")
          for (const m of this.matchers(a0))
            if (m.op === "=" && m.name !== "__name__") labels[m.name] = m.value;
        return { type: "vector", samples: [{ labels, t, v: 1 }] };
      }
      case "clamp_min":
      case "clamp_max": {
        const bound = this.num(args[1] as SyntaxNode, t);
        const f = name === "clamp_min" ? Math.max : Math.min;
        return {
          type: "vector",
          samples: this.vec(a0, t).samples.map((s) => ({ labels: dropName(s.labels), t, v: f(s.v, bound) })),
        };
      }
      case "histogram_quantile": {
        const q = this.num(a0, t);
        const groups = new Map<string, { labels: Labels; buckets: { le: number; v: number }[] }>();
        for (const s of this.vec(args[1] as SyntaxNode, t).samples) {
          const { le, ...rest } = dropName(s.labels);
          if (le === undefined) continue;
          const key = sig(rest, null, false);
          const g = groups.get(key) ?? { labels: rest, buckets: [] };
          g.buckets.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), v: s.v });
          groups.set(key, g);
        }
        return {
          type: "vector",
          samples: [...groups.values()].map((g) => ({
            labels: g.labels,
            t,
            v: bucketQuantile(q, g.buckets),
          })),
        };
      }
      case "sort":
      case "sort_desc": {
        const v = this.vec(a0, t);
        const dir = name === "sort" ? 1 : -1;
        return { type: "vector", samples: [...v.samples].sort((x, y) => dir * (x.v - y.v)) };
      }
      default:
        if (name in overTime) return perSeries((s) => (overTime[name] as (s: Sample[]) => number)(s));
        if (name in math1) {
          const f = math1[name] as (v: number) => number;
          return {
            type: "vector",
            samples: this.vec(a0, t).samples.map((s) => ({ labels: dropName(s.labels), t, v: f(s.v) })),
          };
        }
        return this.fail(id, `function ${name} is not supported by the embedded engine yet`);
    }
  }

  private grouping(n: SyntaxNode): { names: string[] | null; without: boolean } {
    const mod = kids(n).find((c) => c.name === "AggregateModifier" || c.name === "MatchingModifierClause");
    if (!mod) return { names: null, without: false };
    const parts = kids(mod);
    const labels = parts.find((c) => c.name === "GroupingLabels");
    const names = labels
      ? kids(labels)
          .filter((c) => c.name === "LabelName" || c.name === "QuotedLabelName")
          .map((c) => this.text(c).replace(/^"|"$/g, ""))
      : [];
    const without = parts.some((c) => c.name === "Without" || c.name === "Ignoring");
    if (parts.some((c) => c.name === "GroupLeft" || c.name === "GroupRight"))
      this.fail(mod, "group_left/group_right are not supported by the embedded engine yet");
    return { names, without };
  }

  private aggregate(n: SyntaxNode, t: number): Value {
    const op = this.text(kids(n)[0] as SyntaxNode);
    const args = this.args(n);
    const param = args.length > 1 ? (args[0] as SyntaxNode) : null;
    const input = this.vec(args.at(-1) as SyntaxNode, t);
    const { names, without } = this.grouping(n);
    const groups = new Map<string, { labels: Labels; values: InstantSample[] }>();
    for (const s of input.samples) {
      const l = dropName(s.labels);
      const keep: Labels = {};
      for (const k of Object.keys(l))
        if (names !== null && (without ? !names.includes(k) : names.includes(k))) keep[k] = l[k] as string;
      const key = sig(keep, null, false);
      const g = groups.get(key) ?? { labels: keep, values: [] };
      g.values.push(s);
      groups.set(key, g);
    }
    const vs = (g: { values: InstantSample[] }) => g.values.map((s) => s.v);
    const out: InstantSample[] = [];
    for (const g of groups.values()) {
      const v = vs(g);
      switch (op) {
        case "sum":
          out.push({ labels: g.labels, t, v: v.reduce((a, b) => a + b, 0) });
          break;
        case "avg":
          out.push({ labels: g.labels, t, v: v.reduce((a, b) => a + b, 0) / v.length });
          break;
        case "min":
          out.push({ labels: g.labels, t, v: Math.min(...v) });
          break;
        case "max":
          out.push({ labels: g.labels, t, v: Math.max(...v) });
          break;
        case "count":
          out.push({ labels: g.labels, t, v: v.length });
          break;
        case "group":
          out.push({ labels: g.labels, t, v: 1 });
          break;
        case "quantile":
          out.push({ labels: g.labels, t, v: quantile(this.num(param as SyntaxNode, t), v) });
          break;
        case "topk":
        case "bottomk": {
          const k = this.num(param as SyntaxNode, t);
          const sorted = [...g.values].sort((a, b) => (op === "topk" ? b.v - a.v : a.v - b.v));
          out.push(...sorted.slice(0, k));
          break;
        }
        default:
          this.fail(n, `aggregation ${op} is not supported by the embedded engine yet`);
      }
    }
    return { type: "vector", samples: out };
  }

  private binary(n: SyntaxNode, t: number): Value {
    const parts = kids(n);
    const [lhsNode, opNode] = parts as [SyntaxNode, SyntaxNode];
    const rhsNode = parts.at(-1) as SyntaxNode;
    const op = this.text(opNode).toLowerCase();
    const returnBool = parts.some((c) => c.name === "BoolModifier");
    const lhs = this.eval(lhsNode, t);
    const rhs = this.eval(rhsNode, t);
    const cmp = ["==", "!=", ">", "<", ">=", "<="].includes(op);
    const apply = (a: number, b: number): number => {
      switch (op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          return a / b;
        case "%":
          return a % b;
        case "^":
          return a ** b;
        case "==":
          return a === b ? 1 : 0;
        case "!=":
          return a !== b ? 1 : 0;
        case ">":
          return a > b ? 1 : 0;
        case "<":
          return a < b ? 1 : 0;
        case ">=":
          return a >= b ? 1 : 0;
        case "<=":
          return a <= b ? 1 : 0;
        default:
          return this.fail(opNode, `operator ${op} is not supported here`);
      }
    };
    if (lhs.type === "scalar" && rhs.type === "scalar") {
      if (cmp && !returnBool) this.fail(opNode, "comparisons between scalars must use BOOL modifier");
      return { type: "scalar", v: apply(lhs.v, rhs.v) };
    }
    if (lhs.type === "vector" && rhs.type === "scalar")
      return this.vecScalar(lhs, rhs.v, (a, b) => apply(a, b), cmp, returnBool, t, false);
    if (lhs.type === "scalar" && rhs.type === "vector")
      return this.vecScalar(rhs, lhs.v, (a, b) => apply(b, a), cmp, returnBool, t, true);
    if (lhs.type !== "vector" || rhs.type !== "vector")
      return this.fail(opNode, `operator ${op} needs instant vectors or scalars`);
    const { names, without } = this.grouping(n);
    const key = (l: Labels) => (names === null ? sig(dropName(l), null, false) : sig(l, names, without));
    if (op === "and" || op === "unless") {
      const keys = new Set(rhs.samples.map((s) => key(s.labels)));
      return {
        type: "vector",
        samples: lhs.samples.filter((s) => keys.has(key(s.labels)) === (op === "and")),
      };
    }
    if (op === "or") {
      const keys = new Set(lhs.samples.map((s) => key(s.labels)));
      return {
        type: "vector",
        samples: [...lhs.samples, ...rhs.samples.filter((s) => !keys.has(key(s.labels)))],
      };
    }
    const right = new Map<string, InstantSample>();
    for (const s of rhs.samples) {
      const k = key(s.labels);
      if (right.has(k))
        this.fail(
          opNode,
          "found duplicate series for the match group on the right hand-side of the operation; many-to-many matching not allowed",
        );
      right.set(k, s);
    }
    const out: InstantSample[] = [];
    for (const s of lhs.samples) {
      const r = right.get(key(s.labels));
      if (!r) continue;
      const v = apply(s.v, r.v);
      if (cmp && !returnBool) {
        if (v === 1) out.push({ labels: s.labels, t, v: s.v });
        continue;
      }
      let labels = dropName(s.labels);
      if (names !== null && !without)
        labels = Object.fromEntries(Object.entries(labels).filter(([k]) => names.includes(k)));
      if (names !== null && without)
        labels = Object.fromEntries(Object.entries(labels).filter(([k]) => !names.includes(k)));
      out.push({ labels, t, v });
    }
    return { type: "vector", samples: out };
  }

  private vecScalar(
    v: Vec,
    scalar: number,
    f: (a: number, b: number) => number,
    cmp: boolean,
    returnBool: boolean,
    t: number,
    _scalarLeft: boolean,
  ): Vec {
    const out: InstantSample[] = [];
    for (const s of v.samples) {
      const r = f(s.v, scalar);
      if (cmp && !returnBool) {
        if (r === 1) out.push({ labels: s.labels, t, v: s.v });
      } else out.push({ labels: dropName(s.labels), t, v: r });
    }
    return { type: "vector", samples: out };
  }
}

function parse(expr: string): SyntaxNode {
  const tree = parser.parse(expr);
  let error: SyntaxNode | null = null;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && !error) error = n.node;
    },
  });
  if (error) {
    const e = error as SyntaxNode;
    throw new PromQLError(
      `1:${e.from + 1}: parse error: unexpected ${e.from >= expr.length ? "end of input" : `"${expr.slice(e.from, e.from + 10)}"`}`,
      e.from,
    );
  }
  return tree.topNode;
}

export function instantQuery(q: SeriesQuerier, expr: string, timeMs: number): QueryResult {
  const v = new Evaluator(q, expr).eval(parse(expr), timeMs);
  switch (v.type) {
    case "scalar":
      return { resultType: "scalar", result: { t: timeMs, v: v.v } };
    case "vector":
      return { resultType: "vector", result: v.samples };
    case "matrix":
      return { resultType: "matrix", result: v.series };
    case "string":
      return { resultType: "string", result: { t: timeMs, v: v.s } };
  }
}

export function rangeQuery(
  q: SeriesQuerier,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
): QueryResult {
  if (stepMs <= 0) throw new PromQLError("zero or negative query resolution step widths are not accepted");
  if ((endMs - startMs) / stepMs > 11_000)
    throw new PromQLError("exceeded maximum resolution of 11,000 points per timeseries");
  const root = parse(expr);
  const ev = new Evaluator(q, expr);
  const series = new Map<string, { labels: Labels; samples: Sample[] }>();
  for (let t = startMs; t <= endMs; t += stepMs) {
    const v = ev.eval(root, t);
    if (v.type === "matrix" || v.type === "string")
      throw new PromQLError(
        `invalid expression type "${v.type === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
      );
    const samples = v.type === "scalar" ? [{ labels: {}, t, v: v.v }] : v.samples;
    for (const s of samples) {
      const k = sig(s.labels, null, false);
      const e = series.get(k) ?? { labels: s.labels, samples: [] };
      e.samples.push({ t, v: s.v });
      series.set(k, e);
    }
  }
  return { resultType: "matrix", result: [...series.values()] };
}
