import { applyBinary, isComparison, lokiArithmetic, pairResult } from "../binops";
import type { Labels, Series } from "../types";
import type { MetricExpr } from "./logql-ast";
import { fingerprint } from "./store";

/** An evaluated metric expression: a literal stays a scalar until it meets a vector. */
export type MetricValue = { kind: "scalar"; v: number } | { kind: "vector"; series: Series[] };

type BinaryExpr = Extract<MetricExpr, { kind: "binary" }>;

/** Result of one pair of points with Loki's arithmetic: null drops it (a false comparison without `bool`). */
const combine = (e: BinaryExpr, a: number, b: number, keep: number): number | null =>
  pairResult(e.op, a, b, e.bool, keep, lokiArithmetic);

function matchLabels(labels: Labels, m: BinaryExpr["matching"]): Labels {
  if (!m) return labels;
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (m.labels.includes(k) === m.on) out[k] = v;
  return out;
}

function mapSeries(series: Series[], f: (v: number) => number | null): Series[] {
  const out: Series[] = [];
  for (const s of series) {
    const samples = s.samples.flatMap((p) => {
      const v = f(p.v);
      return v === null ? [] : [{ t: p.t, v }];
    });
    if (samples.length > 0) out.push({ labels: s.labels, samples });
  }
  return out;
}

/** Prometheus-style binary operation; vector-vector pairs match one-to-one on (on/ignoring) labels. */
export function binaryOp(e: BinaryExpr, left: MetricValue, right: MetricValue): MetricValue {
  if (left.kind === "scalar" && right.kind === "scalar") {
    return { kind: "scalar", v: applyBinary(e.op, left.v, right.v, lokiArithmetic) };
  }
  if (left.kind === "scalar" && right.kind === "vector")
    return { kind: "vector", series: mapSeries(right.series, (v) => combine(e, left.v, v, v)) };
  if (left.kind === "vector" && right.kind === "scalar")
    return { kind: "vector", series: mapSeries(left.series, (v) => combine(e, v, right.v, v)) };
  if (left.kind !== "vector" || right.kind !== "vector") throw new Error("unreachable");
  const rhs = new Map<string, Map<number, number>>();
  for (const s of right.series) {
    const key = fingerprint(matchLabels(s.labels, e.matching));
    const points = rhs.get(key) ?? new Map<number, number>();
    for (const p of s.samples) points.set(p.t, p.v);
    rhs.set(key, points);
  }
  const out = new Map<string, Series>();
  for (const s of left.series) {
    const labels = matchLabels(s.labels, e.matching);
    const other = rhs.get(fingerprint(labels));
    if (!other) continue;
    // A filtering comparison keeps the left-hand series as it was; anything else reduces to the match labels.
    const resultLabels = isComparison(e.op) && !e.bool ? s.labels : labels;
    const key = fingerprint(resultLabels);
    const target = out.get(key) ?? { labels: resultLabels, samples: [] };
    for (const p of s.samples) {
      const b = other.get(p.t);
      if (b === undefined) continue;
      const v = combine(e, p.v, b, p.v);
      if (v !== null) target.samples.push({ t: p.t, v });
    }
    if (target.samples.length > 0) out.set(key, target);
  }
  return { kind: "vector", series: [...out.values()] };
}
