import type { InstantSample, Labels, Series } from "../types";
import type { Grouping, MetricExpr } from "./logql-ast";
import { fingerprint } from "./store";

export const groupLabels = (labels: Labels, g: Grouping | undefined): Labels => {
  if (!g) return labels;
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (g.labels.includes(k) !== g.without) out[k] = v;
  return out;
};

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export function variance(xs: number[]): number {
  const mean = sum(xs) / xs.length;
  return sum(xs.map((x) => (x - mean) ** 2)) / xs.length;
}
export function quantile(q: number, xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const rank = q * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(s.length - 1, lo + 1);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (rank - lo);
}

export type VectorExpr = Extract<MetricExpr, { kind: "vector" }>;

function aggregate(e: VectorExpr, vec: InstantSample[]): { labels: Labels; v: number }[] {
  const groups = new Map<string, { labels: Labels; items: InstantSample[] }>();
  for (const s of vec) {
    const labels = e.grouping ? groupLabels(s.labels, e.grouping) : {};
    const key = fingerprint(labels);
    const g = groups.get(key) ?? { labels, items: [] };
    g.items.push(s);
    groups.set(key, g);
  }
  const out: { labels: Labels; v: number }[] = [];
  for (const g of groups.values()) {
    const vs = g.items.map((x) => x.v);
    switch (e.op) {
      case "topk":
      case "bottomk": {
        const dir = e.op === "topk" ? -1 : 1;
        const k = Math.max(0, Math.floor(e.param ?? 0));
        const sorted = [...g.items].sort((a, b) => dir * (a.v - b.v));
        for (const s of sorted.slice(0, k)) out.push({ labels: s.labels, v: s.v });
        continue;
      }
      case "sum":
        out.push({ labels: g.labels, v: sum(vs) });
        break;
      case "avg":
        out.push({ labels: g.labels, v: sum(vs) / vs.length });
        break;
      case "min":
        out.push({ labels: g.labels, v: Math.min(...vs) });
        break;
      case "max":
        out.push({ labels: g.labels, v: Math.max(...vs) });
        break;
      case "count":
        out.push({ labels: g.labels, v: vs.length });
        break;
      case "stddev":
        out.push({ labels: g.labels, v: Math.sqrt(variance(vs)) });
        break;
      case "stdvar":
        out.push({ labels: g.labels, v: variance(vs) });
        break;
    }
  }
  return out;
}

/** sum/avg/min/max/count/topk/... by or without labels, independently at each evaluation time. */
export function evalVectorAgg(e: VectorExpr, inner: Series[], times: number[]): Series[] {
  const byTime = new Map<number, InstantSample[]>();
  for (const s of inner)
    for (const p of s.samples) {
      const list = byTime.get(p.t) ?? [];
      list.push({ labels: s.labels, t: p.t, v: p.v });
      byTime.set(p.t, list);
    }
  const out = new Map<string, Series>();
  for (const t of times) {
    for (const r of aggregate(e, byTime.get(t) ?? [])) {
      const key = fingerprint(r.labels);
      const s = out.get(key) ?? { labels: r.labels, samples: [] };
      s.samples.push({ t, v: r.v });
      out.set(key, s);
    }
  }
  return [...out.values()];
}
