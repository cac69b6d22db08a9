import type { Sample } from "../types";

// Pure numeric helpers behind PromQL functions; they mirror Prometheus's promql/functions.go.

/** Kahan-compensated mean and variance, as Prometheus computes stddev/stdvar (population). */
export function variance(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  let mean = 0;
  let m2 = 0;
  let n = 0;
  // Welford's online algorithm: Prometheus uses the same recurrence, so rounding matches closely.
  for (const v of values) {
    n++;
    const delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  return m2 / n;
}

/** Prometheus's quantile: linear interpolation between the closest ranks; q outside [0,1] gives ±Inf. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  // Prometheus's sort puts NaN first.
  const s = [...values].sort((a, b) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b,
  );
  const rank = q * (s.length - 1);
  const lo = Math.max(0, Math.floor(rank));
  const hi = Math.min(s.length - 1, lo + 1);
  const w = rank - Math.floor(rank);
  return (s[lo] as number) * (1 - w) + (s[hi] as number) * w;
}

/** Least-squares slope and intercept at `interceptT` (seconds relative), as deriv/predict_linear need. */
export function linearRegression(s: Sample[], interceptT: number): { slope: number; intercept: number } {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  let constY = true;
  const first = (s[0] as Sample).v;
  for (const x of s) {
    if (x.v !== first) constY = false;
    const tx = (x.t - interceptT) / 1000;
    n++;
    sumX += tx;
    sumY += x.v;
    sumXY += tx * x.v;
    sumX2 += tx * tx;
  }
  // A constant series has slope 0 exactly; avoids floating noise that Prometheus also special-cases.
  if (constY)
    return Number.isFinite(first)
      ? { slope: 0, intercept: first }
      : { slope: Number.NaN, intercept: Number.NaN };
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return { slope, intercept };
}

/** Holt's double exponential smoothing (Prometheus's double_exponential_smoothing). */
export function doubleExponentialSmoothing(s: Sample[], sf: number, tf: number): number | null {
  if (s.length < 2) return null;
  let s0 = 0;
  let s1 = (s[0] as Sample).v;
  let b = (s[1] as Sample).v - s1;
  for (let i = 1; i < s.length; i++) {
    // The trend is seeded from the first two samples and only smoothed from the second step on.
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const next = sf * (s[i] as Sample).v + (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = next;
  }
  return s1;
}

/** Median absolute deviation around the median. */
export function mad(values: number[]): number {
  // A NaN sample makes the result NaN rather than being silently sorted away.
  if (values.some((v) => Number.isNaN(v))) return Number.NaN;
  const med = quantile(0.5, values);
  return quantile(
    0.5,
    values.map((v) => Math.abs(v - med)),
  );
}

/** Date parts of a Unix time in seconds, in UTC, as Prometheus's date functions return them. */
export const dateParts: Record<string, (d: Date) => number> = {
  year: (d) => d.getUTCFullYear(),
  month: (d) => d.getUTCMonth() + 1,
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => {
    const start = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - start) / 864e5) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
};

/** Go's math.Round rounds half away from zero; JS Math.round rounds half up. */
export const goRound = (v: number): number => (v < 0 ? -Math.round(-v) : Math.round(v));

/** PromQL round(v, to_nearest): Prometheus rounds half up after scaling by 1/to_nearest. */
export function roundTo(v: number, toNearest: number): number {
  const inv = 1 / toNearest;
  return Math.floor(v * inv + 0.5) / inv;
}

/** Neumaier-compensated sum, like Prometheus's kahanSumInc. */
export function kahanSum(values: number[]): number {
  let sum = 0;
  let c = 0;
  for (const inc of values) {
    const t = sum + inc;
    if (!Number.isFinite(t)) c = 0;
    else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
    else c += inc - t + sum;
    sum = t;
  }
  return Number.isFinite(sum) ? sum + c : sum;
}

/** Mean that falls back to an incremental form when the plain sum would overflow, as Prometheus's avg does. */
export function mean(values: number[]): number {
  const sum = kahanSum(values);
  if (Number.isFinite(sum) || values.some((v) => !Number.isFinite(v))) return sum / values.length;
  let m = 0;
  values.forEach((v, i) => {
    m += v / (i + 1) - m / (i + 1);
  });
  return m;
}

/** min/max over samples where NaN only wins if every sample is NaN, as Prometheus does. */
function extreme(s: Sample[], better: (a: number, b: number) => boolean): Sample {
  let best = s[0] as Sample;
  for (const x of s) if (better(x.v, best.v) || (Number.isNaN(best.v) && !Number.isNaN(x.v))) best = x;
  return best;
}

const values = (s: Sample[]) => s.map((x) => x.v);

/** The `*_over_time` family and friends: one number from the samples of a range. */
export const overTime: Record<string, (s: Sample[]) => number> = {
  avg_over_time: (s) => mean(values(s)),
  sum_over_time: (s) => kahanSum(values(s)),
  min_over_time: (s) => extreme(s, (a, b) => a < b).v,
  max_over_time: (s) => extreme(s, (a, b) => a > b).v,
  ts_of_min_over_time: (s) => extreme(s, (a, b) => a < b).t / 1000,
  ts_of_max_over_time: (s) => extreme(s, (a, b) => a > b).t / 1000,
  ts_of_first_over_time: (s) => (s[0] as Sample).t / 1000,
  ts_of_last_over_time: (s) => (s[s.length - 1] as Sample).t / 1000,
  count_over_time: (s) => s.length,
  last_over_time: (s) => (s[s.length - 1] as Sample).v,
  first_over_time: (s) => (s[0] as Sample).v,
  present_over_time: () => 1,
  stddev_over_time: (s) => Math.sqrt(variance(values(s))),
  stdvar_over_time: (s) => variance(values(s)),
  mad_over_time: (s) => mad(values(s)),
  // NaN to NaN is no change; NaN to a number (or back) is.
  changes: (s) =>
    s.slice(1).filter((x, i) => {
      const p = (s[i] as Sample).v;
      return x.v !== p && !(Number.isNaN(x.v) && Number.isNaN(p));
    }).length,
  resets: (s) => s.slice(1).filter((x, i) => x.v < (s[i] as Sample).v).length,
};

/** Prometheus's extrapolatedRate behind rate(), increase() and delta(). */
export function extrapolatedRate(
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
  const sampled = (last.t - first.t) / 1000;
  const avg = sampled / (s.length - 1);
  const threshold = avg * 1.1;
  // Extrapolate by up to half a sample interval, then (for counters) never below zero.
  let toStart = (first.t - start) / 1000;
  let toEnd = (end - last.t) / 1000;
  if (toStart >= threshold) toStart = avg / 2;
  if (counter && result > 0 && first.v >= 0) toStart = Math.min(toStart, sampled * (first.v / result));
  if (toEnd >= threshold) toEnd = avg / 2;
  const interval = sampled + toStart + toEnd;
  let factor = interval / sampled;
  if (isRate) factor /= (end - start) / 1000;
  return result * factor;
}

/** Element-wise math functions. */
export const math1: Record<string, (v: number) => number> = {
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
