import { describe, expect, test } from "bun:test";
import {
  type Baseline,
  judgeAgainstBaseline,
  type SignalValue,
  signalsOf,
  splitComparison,
} from "./baseline";

describe("the metric behind a criterion", () => {
  test.each([
    [
      'max by (instance) (ratio{job="rate-limiter"}) > 0.8',
      { expr: 'max by (instance) (ratio{job="rate-limiter"})', op: ">", threshold: 0.8 },
    ],
    ['up{job="rate-limiter"} == 0', null],
    ["sum(rate(x[1m])) >= 1e-3", { expr: "sum(rate(x[1m]))", op: ">=", threshold: 0.001 }],
    ["free_bytes < 1024", { expr: "free_bytes", op: "<", threshold: 1024 }],
    ["a > 1 and b > 2", null],
    ['a{l=">"} > 2', { expr: 'a{l=">"}', op: ">", threshold: 2 }],
    ["(a > 1) > 2", { expr: "(a > 1)", op: ">", threshold: 2 }],
    ["a > b", null],
    ["rate(x[5m])", null],
  ])("%s", (query, want) => {
    expect(splitComparison(query)).toEqual(want);
  });

  test("numeric criteria measure their own query; empty ones the violating expression; the rest are not judged", () => {
    expect(
      signalsOf([
        { name: "burn", query: "burn_ratio", comparator: "<", threshold: 1 },
        { query: "headroom > 0.8", comparator: "empty" },
        { query: 'up{job="x"} == 0', comparator: "empty" },
        { query: "errors", comparator: "nonempty" },
        { query: "free < 10", comparator: "empty" },
      ]).map((s) => [s.criterion, s.query, s.good, s.threshold]),
    ).toEqual([
      ["burn", "burn_ratio", "low", 1],
      ["headroom > 0.8", "headroom", "low", 0.8],
      ["free < 10", "free", "high", 10],
    ]);
  });
});

const signal = (value: number | null, good: "low" | "high" = "low", threshold = 0.8): SignalValue => ({
  criterion: "RateLimiterKeyHeadroomLow",
  query: "ratio",
  good,
  threshold,
  value,
});
const baseline = (v: number | null, good: "low" | "high" = "low", threshold = 0.8): Baseline => ({
  at: 0,
  signals: [signal(v, good, threshold)],
  config_hashes: [],
  commit: null,
});

describe("a verified fix against its baseline", () => {
  test.each([
    ["max_keys raised 40 → 60: the store 75 % full where it was nearly empty", 0.0004, 0.75, true],
    ["max_keys restored to 100 000: back near the baseline", 0.0004, 0.0006, false],
    ["just under halfway to the threshold is not worse", 0.0, 0.39, false],
    ["no baseline value (no data then): not judged", null, 0.75, false],
    ["the baseline was already past the threshold: not judged", 0.9, 0.75, false],
  ])("%s", (_name, before, after, partial) => {
    const j = judgeAgainstBaseline(baseline(before), [signal(after)]);
    expect(j.partial).toBe(partial);
    expect(j.worse.length).toBe(partial ? 1 : 0);
    if (partial) expect(j.worse[0]).toContain(`${after} against a baseline of ${before}`);
  });

  test("a larger-is-better signal is worse when it stays low", () => {
    expect(judgeAgainstBaseline(baseline(1000, "high", 10), [signal(400, "high", 10)]).partial).toBe(true);
    expect(judgeAgainstBaseline(baseline(1000, "high", 10), [signal(900, "high", 10)]).partial).toBe(false);
  });

  test("a signal with no value now is not judged", () => {
    expect(judgeAgainstBaseline(baseline(0.0004), [signal(null)]).partial).toBe(false);
  });
});
