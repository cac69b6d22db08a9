/** Token-bucket state of one key. Pure: time comes in as an argument. */
export interface BucketState {
  tokens: number;
  updatedMs: number;
}

export interface BucketLimits {
  capacity: number;
  refillPerSecond: number;
}

export interface Decision {
  allowed: boolean;
  remaining: number;
  /** Milliseconds until `hits` tokens are available (0 when allowed). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetAfterMs: number;
  state: BucketState;
}

/** Tokens in the bucket at `nowMs`: what it held plus the refill since, up to capacity. */
function tokensAt(state: BucketState, limits: BucketLimits, nowMs: number): number {
  const elapsed = Math.max(0, nowMs - state.updatedMs) / 1000;
  return Math.min(limits.capacity, state.tokens + elapsed * limits.refillPerSecond);
}

export function refill(state: BucketState | undefined, limits: BucketLimits, nowMs: number): BucketState {
  if (!state) return { tokens: limits.capacity, updatedMs: nowMs };
  return { tokens: tokensAt(state, limits, nowMs), updatedMs: Math.max(nowMs, state.updatedMs) };
}

/** Takes `hits` tokens if available; `hits` 0 only looks. */
export function take(
  state: BucketState | undefined,
  limits: BucketLimits,
  hits: number,
  nowMs: number,
): Decision {
  // Refilled without an intermediate state object: this runs on every check.
  const tokens = state ? tokensAt(state, limits, nowMs) : limits.capacity;
  const updatedMs = state ? Math.max(nowMs, state.updatedMs) : nowMs;
  const allowed = tokens >= hits;
  return decision(limits, hits, allowed, allowed ? tokens - hits : tokens, updatedMs);
}

/**
 * The decision a client is told, from whether the check passed and the tokens left after it (the tokens
 * it found, when it was denied). Shared by the memory store (`take`) and the Redis store, whose script
 * decides and leaves the telling to this.
 */
export function decision(
  limits: BucketLimits,
  hits: number,
  allowed: boolean,
  tokens: number,
  updatedMs: number,
): Decision {
  const rate = limits.refillPerSecond;
  return {
    allowed,
    remaining: Math.floor(tokens),
    // A cost above capacity can never be paid, and neither can any cost at rate 0: no retry time to offer.
    retryAfterMs: allowed
      ? 0
      : rate > 0 && hits <= limits.capacity
        ? Math.ceil((Math.max(0, hits - tokens) / rate) * 1000)
        : Number.POSITIVE_INFINITY,
    resetAfterMs: rate > 0 ? Math.ceil(((limits.capacity - tokens) / rate) * 1000) : 0,
    state: { tokens, updatedMs },
  };
}
