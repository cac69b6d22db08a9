import type { InstantSample, Labels } from "../types";
import { PromQLError } from "./promql-error";
import { kahanSum, mean, quantile, variance } from "./promql-functions";
import { sig } from "./promql-util";

// Aggregation operators (sum, avg, topk, count_values, ...) over one instant vector, as Prometheus 3 does them.

export interface Grouping {
  names: string[] | null;
  without: boolean;
}

const byKey = (l: Labels) => sig(l, null, false);

// Per input label set and grouping: the group's labels and key, reused across the steps of a range query.
const groupCache = new WeakMap<Labels, Map<string, { keep: Labels; key: string }>>();

const groupingKey = (g: Grouping) =>
  `${g.without}|${g.names === null ? "" : g.names.join("\u0000")}|${g.names === null}`;

function groupOf(l: Labels, g: Grouping, gk: string): { keep: Labels; key: string } {
  let byGrouping = groupCache.get(l);
  if (!byGrouping) {
    byGrouping = new Map();
    groupCache.set(l, byGrouping);
  }
  let hit = byGrouping.get(gk);
  if (!hit) {
    const keep = groupLabels(l, g);
    hit = { keep, key: byKey(keep) };
    byGrouping.set(gk, hit);
  }
  return hit;
}

/** The labels an output series of the group keeps: `by` keeps only the listed ones, `without` drops them and the name. */
export function groupLabels(l: Labels, g: Grouping): Labels {
  const keep: Labels = {};
  if (g.names === null) return keep;
  for (const [k, v] of Object.entries(l)) {
    if (g.without ? !g.names.includes(k) && k !== "__name__" : g.names.includes(k)) keep[k] = v;
  }
  return keep;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64), which count_values uses for label values. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  const s = String(v);
  if (!s.includes("e")) return s;
  // Expand exponent notation without losing the shortest round-trip digits.
  const [mant, expText] = s.split("e") as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const point =
    (mant.replace("-", "").indexOf(".") === -1
      ? mant.replace("-", "").length
      : mant.replace("-", "").indexOf(".")) + exp;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** Orders NaN after every number, as Prometheus's topk/bottomk heaps do. */
const nanLast = (a: number, b: number, desc: boolean): number => {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return desc ? b - a : a - b;
};

export function aggregate(
  opRaw: string,
  param: number | string | null,
  input: InstantSample[],
  g: Grouping,
  t: number,
): InstantSample[] {
  const op = opRaw.toLowerCase();
  const numParam = typeof param === "number" ? param : Number.NaN;
  if (["topk", "bottomk", "limitk"].includes(op)) {
    if (Number.isNaN(numParam)) throw new PromQLError("Parameter value is NaN");
  }
  if (op === "limit_ratio" && Number.isNaN(numParam)) throw new PromQLError("Ratio value is NaN");
  if (op === "quantile" && typeof param !== "number") throw new PromQLError("quantile needs a number");
  if (op === "count_values") {
    if (typeof param !== "string") throw new PromQLError("count_values needs a label name");
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(param) && !isValidUtf8Name(param))
      throw new PromQLError(`invalid label name "${param}"`);
  }
  const groups = new Map<string, { labels: Labels; values: InstantSample[] }>();
  const gk = groupingKey(g);
  for (const s of input) {
    const { keep, key } = groupOf(s.labels, g, gk);
    const grp = groups.get(key) ?? { labels: keep, values: [] };
    grp.values.push(s);
    groups.set(key, grp);
  }
  const out: InstantSample[] = [];
  for (const grp of groups.values()) {
    const v = grp.values.map((s) => s.v);
    const push = (value: number) => out.push({ labels: grp.labels, t, v: value });
    switch (op) {
      case "sum":
        push(kahanSum(v));
        break;
      case "avg":
        push(mean(v));
        break;
      case "min":
      case "max": {
        // NaN only wins when every input is NaN.
        const real = v.filter((x) => !Number.isNaN(x));
        push(real.length === 0 ? Number.NaN : op === "min" ? Math.min(...real) : Math.max(...real));
        break;
      }
      case "count":
        push(v.length);
        break;
      case "group":
        push(1);
        break;
      case "stddev":
        push(Math.sqrt(variance(v)));
        break;
      case "stdvar":
        push(variance(v));
        break;
      case "quantile":
        push(quantile(numParam, v));
        break;
      case "topk":
      case "bottomk": {
        const k = Math.min(Math.trunc(numParam), grp.values.length);
        if (k < 1) break;
        const sorted = [...grp.values].sort((a, b) => nanLast(a.v, b.v, op === "topk"));
        out.push(...sorted.slice(0, k));
        break;
      }
      case "limitk": {
        const k = Math.trunc(numParam);
        if (k >= 1) out.push(...grp.values.slice(0, k));
        break;
      }
      case "limit_ratio": {
        const r = Math.max(-1, Math.min(1, numParam));
        // Prometheus samples by a label hash; only the all/none ratios are deterministic without it.
        if (r === 1 || r === -1) out.push(...grp.values);
        else if (r !== 0) {
          for (const s of grp.values) {
            const off = labelHashOffset(s.labels);
            if (r > 0 ? off < r : off >= 1 + r) out.push(s);
          }
        }
        break;
      }
      case "count_values": {
        const counts = new Map<string, number>();
        for (const x of v) {
          const f = formatGoFloat(x);
          counts.set(f, (counts.get(f) ?? 0) + 1);
        }
        for (const [val, c] of counts)
          out.push({ labels: { ...grp.labels, [param as string]: val }, t, v: c });
        break;
      }
      default:
        throw new PromQLError(`aggregation ${opRaw} is not supported by the embedded engine yet`);
    }
  }
  if (op === "count_values") {
    const seen = new Set<string>();
    for (const s of out) {
      const k = byKey(s.labels);
      if (seen.has(k)) throw new PromQLError("vector cannot contain metrics with the same labelset");
      seen.add(k);
    }
  }
  return out;
}

function isValidUtf8Name(s: string): boolean {
  return s.length > 0 && !s.includes("\uFFFD");
}

/** A stable pseudo-random offset in [0,1) per label set (not Prometheus's xxhash, so only approximate). */
function labelHashOffset(l: Labels): number {
  let h = 2166136261;
  for (const c of byKey(l)) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h / 2 ** 32;
}
