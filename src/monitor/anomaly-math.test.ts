import { describe, expect, test } from "bun:test";
import { robust, seasonal, zscore } from "./anomaly-math";

// A deterministic "noisy" series: a daily sine plus pseudo-random noise.
function series(n: number, seed = 7): number[] {
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31 - 0.5;
  };
  return Array.from({ length: n }, (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + 3 * rand());
}

describe("anomaly detectors", () => {
  test("z-score flags a spike and not ordinary noise", () => {
    const h = Array.from({ length: 60 }, (_, i) => 50 + ((i * 7) % 5));
    expect(zscore(h, 52, 3).anomalous).toBe(false);
    expect(zscore(h, 90, 3).anomalous).toBe(true);
    expect(zscore(Array(30).fill(5), 5, 3).anomalous).toBe(false);
  });

  test("MAD is robust to an earlier spike in the window", () => {
    const h = [...Array.from({ length: 59 }, (_, i) => 10 + (i % 3)), 1000];
    expect(zscore(h, 30, 3).anomalous).toBe(false); // the old spike inflated the standard deviation
    expect(robust(h, 30, 3).anomalous).toBe(true);
  });

  test("seasonal: no false positive on a clean daily cycle, a spike is caught", () => {
    const steps = 288; // 5-minute points per day
    const all = series(steps * 8);
    const now = all.length - 1;
    const window = 72;
    const idx = Array.from({ length: window }, (_, k) => now - window + k);
    const at = (i: number) => all[i] as number;
    const hist = idx.map(at);
    const day = idx.map((i) => at(i - steps));
    const week = idx.map((i) => at(i - 7 * steps));
    let falsePositives = 0;
    for (let i = now - 200; i <= now; i++) {
      if (seasonal(hist, day, week, at(i), at(i - steps), at(i - 7 * steps), 4).anomalous) falsePositives++;
    }
    expect(falsePositives).toBe(0);
    // A plain z-score over a short window would call the daily rise an anomaly; seasonal must not.
    expect(seasonal(hist, day, week, at(now) + 60, at(now - steps), at(now - 7 * steps), 4).anomalous).toBe(
      true,
    );
    expect(seasonal(hist, day, week, at(now), null, null, 4).reason).toMatch(/not enough/);
  });

  test("the verdict carries the usual range on the value's own scale", () => {
    const h = [10, 11, 12, 11, 10, 12, 11];
    const v = robust(h, 30, 3);
    expect(v.band?.low).toBeCloseTo(11 - 3 * 1.4826, 6);
    expect(v.band?.high).toBeCloseTo(11 + 3 * 1.4826, 6);
    expect(zscore(h, 11, 3).band?.high).toBeGreaterThan(11);
    // seasonal: residuals are ~0 around an expectation of 200 (yesterday), so the band sits around 200
    const s = seasonal(
      [200, 201, 199, 200],
      [200, 200, 200, 200],
      [null, null, null, null],
      260,
      200,
      null,
      3,
      6,
    );
    expect(s.band).toEqual({ low: 194, high: 206 });
    expect(s.anomalous).toBe(true);
  });

  test("min_change floors the spread: small wiggles are normal, a flat series can still jump", () => {
    const flat = Array(30).fill(0);
    expect(robust(flat, 0.5, 4).anomalous).toBe(false); // no spread, no judgement
    expect(robust(flat, 0.5, 4, 0.05)).toMatchObject({ anomalous: true, band: { low: -0.05, high: 0.05 } });
    expect(robust(flat, 0.04, 4, 0.05).anomalous).toBe(false);
    const quiet = [100, 100.1, 99.9, 100, 100.1];
    expect(zscore(quiet, 101, 4).anomalous).toBe(true);
    expect(zscore(quiet, 101, 4, 5).anomalous).toBe(false);
    expect(zscore(quiet, 106, 4, 5).reason).toMatch(/floored by min_change 5/);
  });
});
