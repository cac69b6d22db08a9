/** Pure detectors: is the latest value an outlier against its own recent history? */

export type AnomalyMethod = "zscore" | "mad" | "seasonal";

export interface AnomalyVerdict {
  score: number | null;
  anomalous: boolean;
  reason: string;
  /** The usual range (center ± sensitivity × spread): where the value must return for the ticket to verify. */
  band: { low: number; high: number } | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Scores below this spread are treated as flat: a constant series is not anomalous at every wiggle. */
const minSpread = 1e-9;

/**
 * Scores `current` against a center and spread. `minChange` floors the spread at minChange / sensitivity,
 * so a change smaller than minChange is never anomalous (a quiet series does not alarm at its first wiggle)
 * and a flat series can still be judged (a denial ratio stuck at 0 that jumps to 0.5).
 */
function judge(
  center: number,
  spread: number,
  current: number,
  sensitivity: number,
  minChange: number,
  label: string,
): AnomalyVerdict {
  const s = Math.max(spread, minChange / sensitivity);
  if (s < minSpread)
    return { score: current === center ? 0 : null, anomalous: false, reason: "history is flat", band: null };
  const z = (current - center) / s;
  const floored = s > spread ? ` (spread floored by min_change ${minChange})` : "";
  return {
    score: z,
    anomalous: Math.abs(z) > sensitivity,
    reason: `${label} ${z.toFixed(2)} against ${center.toPrecision(4)}${floored}`,
    band: { low: center - sensitivity * s, high: center + sensitivity * s },
  };
}

export function zscore(
  history: number[],
  current: number,
  sensitivity: number,
  minChange = 0,
): AnomalyVerdict {
  return judge(mean(history), std(history), current, sensitivity, minChange, "z-score");
}

/** Robust variant: median and MAD are not dragged by earlier spikes in the window. */
export function robust(
  history: number[],
  current: number,
  sensitivity: number,
  minChange = 0,
): AnomalyVerdict {
  const med = median(history);
  const mad = median(history.map((x) => Math.abs(x - med))) * 1.4826;
  return judge(med, mad, current, sensitivity, minChange, "robust z");
}

/**
 * Seasonal: compare each point with the same time one day and one week earlier, then score the current
 * residual against the residuals of the trailing window, so daily and weekly cycles are not anomalies.
 */
export function seasonal(
  history: number[],
  dayAgo: (number | null)[],
  weekAgo: (number | null)[],
  current: number,
  currentDayAgo: number | null,
  currentWeekAgo: number | null,
  sensitivity: number,
  minChange = 0,
): AnomalyVerdict {
  const expected = (d: number | null, w: number | null) => {
    const vs = [d, w].filter((x): x is number => x !== null && Number.isFinite(x));
    return vs.length ? mean(vs) : null;
  };
  const residuals: number[] = [];
  history.forEach((v, i) => {
    const e = expected(dayAgo[i] ?? null, weekAgo[i] ?? null);
    if (e !== null) residuals.push(v - e);
  });
  const e = expected(currentDayAgo, currentWeekAgo);
  if (e === null || residuals.length < 3)
    return { score: null, anomalous: false, reason: "not enough seasonal history", band: null };
  const verdict = robust(residuals, current - e, sensitivity, minChange);
  return {
    ...verdict,
    // The band was computed on residuals: shift it back to the value's own scale.
    band: verdict.band && { low: verdict.band.low + e, high: verdict.band.high + e },
    reason: `${verdict.reason} of the residual against last day/week (expected ${e.toPrecision(4)})`,
  };
}
