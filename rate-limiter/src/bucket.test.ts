import { describe, expect, test } from "bun:test";
import { refill, take } from "./bucket";

const limits = { capacity: 10, refillPerSecond: 2 };

describe("token bucket", () => {
  test("a new key starts full and bursts up to capacity", () => {
    let state = undefined as ReturnType<typeof take>["state"] | undefined;
    const allowed: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const d = take(state, limits, 1, 0);
      state = d.state;
      allowed.push(d.allowed);
    }
    expect(allowed.filter(Boolean).length).toBe(10);
    expect(allowed.slice(10)).toEqual([false, false]);
  });

  test("refills at the configured rate and never above capacity", () => {
    const empty = { tokens: 0, updatedMs: 0 };
    expect(refill(empty, limits, 1500).tokens).toBeCloseTo(3, 10);
    expect(refill(empty, limits, 60_000).tokens).toBe(10);
    // A clock that goes backwards adds nothing.
    expect(refill({ tokens: 4, updatedMs: 1000 }, limits, 500).tokens).toBe(4);
  });

  test("cost: a request may take several tokens, all or nothing", () => {
    const d1 = take({ tokens: 5, updatedMs: 0 }, limits, 4, 0);
    expect([d1.allowed, d1.remaining]).toEqual([true, 1]);
    const d2 = take(d1.state, limits, 4, 0);
    expect([d2.allowed, d2.remaining]).toEqual([false, 1]);
    // 3 tokens missing at 2/s.
    expect(d2.retryAfterMs).toBe(1500);
  });

  test("a cost above capacity is denied with no retry time, since waiting cannot help", () => {
    const d = take(undefined, limits, 11, 0);
    expect(d.allowed).toBe(false);
    expect(d.remaining).toBe(10);
    expect(d.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  test("peek (hits 0) never consumes", () => {
    const d = take({ tokens: 3, updatedMs: 0 }, limits, 0, 0);
    expect(d.allowed).toBe(true);
    expect(d.state.tokens).toBe(3);
  });

  test("reset_after is the time to refill completely", () => {
    expect(take({ tokens: 4, updatedMs: 0 }, limits, 0, 0).resetAfterMs).toBe(3000);
    expect(take(undefined, limits, 0, 0).resetAfterMs).toBe(0);
  });
});
