import type { InstantSample, Labels } from "../types";

// Classic (le-bucketed) histogram functions, after Prometheus's promql/quantile.go.

export interface Bucket {
  le: number;
  v: number;
}

/** Set by the last prepare(): whether counts had to be forced monotonic (an info annotation in Prometheus). */
export const lastFix = { forcedMonotonic: false };

/** Sorts, merges equal bounds and fixes tiny float errors and non-monotonic counts, as Prometheus does. */
function prepare(buckets: Bucket[]): Bucket[] | null {
  lastFix.forcedMonotonic = false;
  const b = [...buckets].sort((x, y) => x.le - y.le);
  if (b.length === 0 || (b.at(-1) as Bucket).le !== Number.POSITIVE_INFINITY) return null;
  const merged: Bucket[] = [];
  for (const x of b) {
    const last = merged.at(-1);
    if (last && last.le === x.le) last.v += x.v;
    else merged.push({ ...x });
  }
  let prev = (merged[0] as Bucket).v;
  for (let i = 1; i < merged.length; i++) {
    const cur = merged[i] as Bucket;
    const delta = Math.abs(cur.v - prev);
    if (delta === 0) continue;
    if (delta / cur.v <= 1e-12) cur.v = prev;
    else prev = cur.v;
  }
  let max = (merged[0] as Bucket).v;
  for (const x of merged) {
    if (x.v > max) max = x.v;
    else if (x.v < max) {
      x.v = max;
      lastFix.forcedMonotonic = true;
    }
  }
  return merged;
}

export function bucketQuantile(q: number, buckets: Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const b = prepare(buckets);
  if (!b || b.length < 2) return Number.NaN;
  const total = (b.at(-1) as Bucket).v;
  if (total === 0 || Number.isNaN(total)) return Number.NaN;
  let rank = q * total;
  let i = b.slice(0, -1).findIndex((x) => x.v >= rank);
  if (i < 0) i = b.length - 1;
  if (i === b.length - 1) return (b[b.length - 2] as Bucket).le;
  if (i === 0 && (b[0] as Bucket).le <= 0) return (b[0] as Bucket).le;
  let start = 0;
  const end = (b[i] as Bucket).le;
  let count = (b[i] as Bucket).v;
  if (i > 0) {
    start = (b[i - 1] as Bucket).le;
    count -= (b[i - 1] as Bucket).v;
    rank -= (b[i - 1] as Bucket).v;
  }
  return start + (end - start) * (rank / count);
}

/**
 * Infinite-width buckets are not interpolated: observations in the lowest bucket count as lying at -Inf
 * (below any bound), those in the +Inf bucket as lying at +Inf (above any bound).
 */
function edgeRank(lo: number, hi: number, before: number, through: number): number | null {
  if (lo === Number.NEGATIVE_INFINITY) return through;
  if (hi === Number.POSITIVE_INFINITY) return before;
  return null;
}

export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  const b = prepare(buckets);
  if (!b) return Number.NaN;
  const count = (b.at(-1) as Bucket).v;
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (lower >= upper) return 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  for (let i = 0; i < b.length; i++) {
    const cur = b[i] as Bucket;
    // Like histogram_quantile, the lowest bucket starts at 0 when its bound is positive.
    let lo = i > 0 ? (b[i - 1] as Bucket).le : Number.NEGATIVE_INFINITY;
    if (i === 0 && cur.le > 0) lo = 0;
    const hi = cur.le;
    const interp = (x: number) => rank + ((cur.v - rank) * (x - lo)) / (hi - lo);
    if (!lowerSet && lo >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lo >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lo < lower && hi > lower) {
      lowerRank = edgeRank(lo, hi, rank, cur.v) ?? interp(lower);
      lowerSet = true;
    }
    if (!upperSet && lo < upper && hi > upper) {
      upperRank = edgeRank(lo, hi, rank, cur.v) ?? interp(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = cur.v;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/** Groups `le`-labelled samples into classic histograms, keyed by all other labels but the name. */
export function bucketGroups(
  samples: InstantSample[],
  malformed: (le: string, name: string) => void = () => {},
): { labels: Labels; buckets: Bucket[]; name: string }[] {
  const groups = new Map<string, { labels: Labels; buckets: Bucket[]; name: string }>();
  for (const s of samples) {
    const { le, __name__: name, ...rest } = s.labels;
    const bound = le === undefined ? Number.NaN : parseBound(le);
    if (le === undefined || (Number.isNaN(bound) && le.toLowerCase() !== "nan")) {
      malformed(le ?? "", name ?? "");
      continue;
    }
    const key = JSON.stringify(
      Object.keys(rest)
        .sort()
        .map((k) => [k, rest[k]]),
    );
    const g = groups.get(key) ?? { labels: rest, buckets: [], name: name ?? "" };
    g.buckets.push({ le: bound, v: s.v });
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Go's strconv.ParseFloat for `le` values: also accepts Inf spellings. */
function parseBound(le: string): number {
  const t = le.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(t)) return Number.NEGATIVE_INFINITY;
  return t === "" ? Number.NaN : Number(t);
}

/** How histogram_quantiles spells a quantile in its label: like Go's %v but always with a decimal point. */
export function quantileLabel(q: number): string {
  const s = String(q);
  return Number.isInteger(q) && !s.includes("e") ? `${s}.0` : s;
}
