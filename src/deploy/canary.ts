/** Pure comparison of a canary against the running version over the same synthetic probe. */
export interface ProbeStats {
  requests: number;
  errors: number;
  p99Ms: number;
}

export interface CanaryVerdict {
  ok: boolean;
  reason: string;
}

export function p99(latencies: number[]): number {
  if (latencies.length === 0) return Number.NaN;
  const s = [...latencies].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] as number;
}

/** Worse beyond a threshold: more than 1 point of extra errors, or p99 over twice the old one plus 20 ms. */
export function judgeCanary(old: ProbeStats, canary: ProbeStats): CanaryVerdict {
  const errRate = (s: ProbeStats) => (s.requests ? s.errors / s.requests : 1);
  if (canary.requests === 0) return { ok: false, reason: "the canary answered no request" };
  if (errRate(canary) > errRate(old) + 0.01) {
    return {
      ok: false,
      reason: `canary error ratio ${(100 * errRate(canary)).toFixed(1)}% vs ${(100 * errRate(old)).toFixed(1)}%`,
    };
  }
  if (canary.p99Ms > 2 * old.p99Ms + 20) {
    return { ok: false, reason: `canary p99 ${canary.p99Ms.toFixed(1)} ms vs ${old.p99Ms.toFixed(1)} ms` };
  }
  return {
    ok: true,
    reason: `canary p99 ${canary.p99Ms.toFixed(1)} ms vs ${old.p99Ms.toFixed(1)} ms, errors ${canary.errors}/${canary.requests}`,
  };
}
