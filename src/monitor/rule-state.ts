/** Pure `for`-duration logic shared by invariants: a condition must hold continuously before it fires. */
export interface PendingState {
  pending_since: number | null;
}

export function stepPending(
  prev: PendingState,
  violating: boolean,
  forMs: number,
  now: number,
): PendingState & { firing: boolean } {
  if (!violating) return { pending_since: null, firing: false };
  const since = prev.pending_since ?? now;
  return { pending_since: since, firing: now - since >= forMs };
}

/**
 * Per-series `for`, as Prometheus keeps one pending alert per series: each violating label set has its own
 * timer, a series that stops violating loses it, and the rule fires with the series that have waited long
 * enough. Keys are label fingerprints.
 */
export function stepSeriesPending(
  prev: Record<string, number>,
  violating: readonly string[],
  forMs: number,
  now: number,
): { pending: Record<string, number>; firing: string[] } {
  const pending: Record<string, number> = {};
  const firing: string[] = [];
  for (const fp of violating) {
    const since = prev[fp] ?? now;
    pending[fp] = since;
    if (now - since >= forMs) firing.push(fp);
  }
  return { pending, firing };
}

/** Evaluations remembered for flap detection, and the state changes among them that start and end it. */
export const flapHistory = 20;
export const flapStart = 6;
export const flapEnd = 2;

/**
 * Flap damping in the manner of Nagios: count firing/not-firing changes over the last `flapHistory`
 * evaluations; at `flapStart` or more the rule is flapping, and it stays so until the count falls to
 * `flapEnd` or fewer (hysteresis, so the flag itself does not flap).
 */
export function stepFlap(
  history: string,
  firing: boolean,
  wasFlapping: boolean,
): { history: string; changes: number; flapping: boolean } {
  const h = (history + (firing ? "1" : "0")).slice(-flapHistory);
  let changes = 0;
  for (let i = 1; i < h.length; i++) if (h[i] !== h[i - 1]) changes++;
  const flapping = wasFlapping ? changes > flapEnd : changes >= flapStart;
  return { history: h, changes, flapping };
}
