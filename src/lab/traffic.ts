/** Pure traffic model for `harness load` and the lab: who asks, how often, how hard. */

export interface TrafficShape {
  /** Mean requests per second. */
  rate: number;
  durationMs: number;
  keys: number;
  /** Zipf exponent: larger means a few keys get most traffic. */
  zipf: number;
  /** Share of requests from abusive clients (a handful of keys, several tokens each). */
  abusiveShare: number;
  /** How many keys the abusive clients use (default 3; 1 makes one noisy neighbour). */
  abusers?: number;
  /**
   * The abusive clients' own text: their key (instead of `abuser:N`) and the `X-Request-Id` they send. Both
   * reach the service's denial log, so a client can write what an agent reads there (the lab's
   * prompt-injection scenario).
   */
  abuserKey?: string;
  abuserRequestId?: string;
  /** Every `burstEveryMs`, the rate is multiplied by `burstFactor` for `burstMs`. */
  burstEveryMs: number;
  burstMs: number;
  burstFactor: number;
  /** Amplitude of the day curve compressed into the run (0 = flat). */
  diurnal: number;
}

export const defaultShape: TrafficShape = {
  rate: 200,
  durationMs: 30_000,
  keys: 1000,
  zipf: 1.1,
  abusiveShare: 0.05,
  burstEveryMs: 10_000,
  burstMs: 1_000,
  burstFactor: 5,
  diurnal: 0.5,
};

/** A small deterministic PRNG (mulberry32), so a run can be replayed exactly from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inverse-CDF sampler over ranks 1..n with P(k) ∝ 1/k^s. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / k ** s;
    cdf.push(total);
  }
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/** Target requests per second at `elapsedMs` into the run: day curve plus periodic bursts. */
export function rateAt(shape: TrafficShape, elapsedMs: number): number {
  const day =
    1 + shape.diurnal * Math.sin((2 * Math.PI * elapsedMs) / Math.max(1, shape.durationMs) - Math.PI / 2);
  const inBurst =
    shape.burstEveryMs > 0 && elapsedMs % shape.burstEveryMs >= shape.burstEveryMs - shape.burstMs;
  return Math.max(0, shape.rate * day * (inBurst ? shape.burstFactor : 1));
}

export interface PlannedRequest {
  key: string;
  hits: number;
  abusive: boolean;
  /** Sent as X-Request-Id. */
  requestId?: string;
}

export function requestPlanner(shape: TrafficShape, seed: number): () => PlannedRequest {
  const random = rng(seed);
  const pick = zipfSampler(shape.keys, shape.zipf, random);
  return () => {
    if (random() < shape.abusiveShare) {
      const n = Math.floor(random() * (shape.abusers ?? 3));
      return {
        key: shape.abuserKey ? (n === 0 ? shape.abuserKey : `${shape.abuserKey} (${n})`) : `abuser:${n}`,
        hits: 5,
        abusive: true,
        ...(shape.abuserRequestId ? { requestId: shape.abuserRequestId } : {}),
      };
    }
    return { key: `user:${pick()}`, hits: 1, abusive: false };
  };
}
