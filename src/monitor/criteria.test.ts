import { describe, expect, test } from "bun:test";
import type { QueryResult } from "../telemetry/types";
import type { SuccessCriterion } from "../tickets/model";
import { checkCriterion } from "./criteria";
import { stepPending } from "./rule-state";

const vec = (...vs: number[]): QueryResult => ({
  resultType: "vector",
  result: vs.map((v, i) => ({ labels: { i: String(i) }, t: 0, v })),
});
const c = (comparator: SuccessCriterion["comparator"], threshold?: number): SuccessCriterion => ({
  query: "q",
  comparator,
  for_seconds: 0,
  ...(threshold === undefined ? {} : { threshold }),
});

describe("checkCriterion", () => {
  test.each([
    ["empty passes on no series", c("empty"), vec(), true, 0],
    ["empty fails on a series", c("empty"), vec(1), false, 1],
    ["nonempty", c("nonempty"), vec(0), true, 1],
    ["< holds for every series", c("<", 1), vec(0.2, 0.9), true, 0.9],
    ["< fails on the worst series", c("<", 1), vec(0.2, 1.5), false, 1.5],
    [">= uses the minimum", c(">=", 0.99), vec(0.995, 0.98), false, 0.98],
    ["no data is not a pass", c("<", 1), vec(), false, null],
    ["NaN is not a pass", c("<", 1), vec(Number.NaN), false, null],
    ["scalar", c("==", 3), { resultType: "scalar", result: { t: 0, v: 3 } } as QueryResult, true, 3],
  ])("%s", (_name, criterion, result, pass, value) => {
    const r = checkCriterion(criterion, result);
    expect(r.pass).toBe(pass);
    expect(r.value).toBe(value);
  });
});

describe("stepPending (for durations)", () => {
  test("fires only after holding for the whole duration and resets on recovery", () => {
    let s = stepPending({ pending_since: null }, true, 60_000, 1000);
    expect(s).toEqual({ pending_since: 1000, firing: false });
    s = stepPending(s, true, 60_000, 60_999);
    expect(s.firing).toBe(false);
    s = stepPending(s, true, 60_000, 61_000);
    expect(s.firing).toBe(true);
    s = stepPending(s, false, 60_000, 62_000);
    expect(s).toEqual({ pending_since: null, firing: false });
    expect(stepPending({ pending_since: null }, true, 0, 5).firing).toBe(true);
  });
});
