import { describe, expect, test } from "bun:test";
import { budgetStatus, burnRate, checkBurn, defaultBurnPolicy, errorRatioQuery, windowed } from "./math";

describe("SLO math", () => {
  test("burn rate against a 99.9 % objective", () => {
    expect(burnRate(0.001, 99.9)).toBeCloseTo(1, 10);
    expect(burnRate(0.0144, 99.9)).toBeCloseTo(14.4, 10);
    expect(burnRate(null, 99.9)).toBeNull();
    expect(burnRate(Number.NaN, 99.9)).toBeNull();
  });

  test.each([
    ["both windows above 14.4", 15, 20, true],
    ["long above, short recovered", 15, 2, false],
    ["short above, long not yet", 10, 30, false],
    ["exactly at the factor does not fire", 14.4, 14.4, false],
    ["missing data never fires", null, 30, false],
  ])("fast-burn window: %s", (_n, long, short, firing) => {
    expect(checkBurn(defaultBurnPolicy[0] as (typeof defaultBurnPolicy)[0], long, short).firing).toBe(firing);
  });

  test.each([
    ["enough traffic: fires", 2, true, false],
    ["below the guard: held back, marked quiet", 0.5, false, true],
    ["traffic unknown: held back", null, false, true],
  ])("low-traffic guard of 1/s: %s", (_n, rate, firing, quiet) => {
    const w = defaultBurnPolicy[0] as (typeof defaultBurnPolicy)[0];
    const c = checkBurn(w, 20, 20, { min_rate: 1, rate });
    expect([c.firing, c.quiet, c.traffic]).toEqual([firing, quiet, rate]);
    // No guard (min_rate 0) ignores traffic altogether.
    expect(checkBurn(w, 20, 20, { min_rate: 0, rate }).firing).toBe(true);
  });

  test("default policy is the SRE Workbook's four windows", () => {
    expect(
      defaultBurnPolicy.map((w) => [w.factor, w.long_ms / 3_600_000, w.short_ms / 60_000, w.priority]),
    ).toEqual([
      [14.4, 1, 5, "P1"],
      [6, 6, 30, "P1"],
      [3, 24, 120, "P2"],
      [1, 72, 360, "P3"],
    ]);
  });

  test("budget remaining and time to exhaustion", () => {
    const month = 30 * 86_400_000;
    const half = budgetStatus(99.9, month, 0.0005, 2);
    expect(half.remaining).toBeCloseTo(0.5, 10);
    expect(half.exhaustion_ms).toBeCloseTo((0.5 * month) / 2, 0);
    expect(budgetStatus(99.9, month, 0.002, 1).exhaustion_ms).toBe(0);
    expect(budgetStatus(99.9, month, 0.0001, 0).exhaustion_ms).toBeNull();
  });

  test("windowed SLI queries", () => {
    expect(windowed("sum(rate(x[{{.window}}]))", 3_600_000)).toBe("sum(rate(x[1h]))");
    expect(windowed('http_requests_total{code="500"}', 300_000)).toBe(
      'sum(increase(http_requests_total{code="500"}[5m]))',
    );
    expect(errorRatioQuery({ good: "ok_total", total: "all_total" }, 86_400_000)).toBe(
      "1 - (sum(increase(ok_total[1d]))) / (sum(increase(all_total[1d])))",
    );
  });
});
