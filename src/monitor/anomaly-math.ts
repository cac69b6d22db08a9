/** Pure detectors: is the latest value an outlier against its own recent history? */

export type AnomalyMethod = "zscore" | "mad" | "seasonal";

export interface AnomalyVerdict {
  score: number | null;
  anomalous: boolean;
  reason: string;
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

export function zscore(history: number[], current: number, sensitivity: number): AnomalyVerdict {
  const s = std(history);
  const m = mean(history);
  if (s < minSpread) return { score: current === m ? 0 : null, anomalous: false, reason: "history is flat" };
  const z = (current - m) / s;
  return {
    score: z,
    anomalous: Math.abs(z) > sensitivity,
    reason: `z-score ${z.toFixed(2)} against mean ${m.toPrecision(4)}`,
  };
}

/** Robust variant: median and MAD are not dragged by earlier spikes in the window. */
export function robust(history: number[], current: number, sensitivity: number): AnomalyVerdict {
  const med = median(history);
  const mad = median(history.map((x) => Math.abs(x - med))) * 1.4826;
  if (mad < minSpread) return { score: null, anomalous: false, reason: "history has no spread" };
  const z = (current - med) / mad;
  return {
    score: z,
    anomalous: Math.abs(z) > sensitivity,
    reason: `robust z ${z.toFixed(2)} against median ${med.toPrecision(4)}`,
  };
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
    return { score: null, anomalous: false, reason: "not enough seasonal history" };
  const verdict = robust(residuals, current - e, sensitivity);
  return {
    ...verdict,
    reason: `${verdict.reason} of the residual against last day/week (expected ${e.toPrecision(4)})`,
  };
}
