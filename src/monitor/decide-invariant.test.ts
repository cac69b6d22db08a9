import { describe, expect, test } from "bun:test";
import type { Invariant } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import { fingerprint } from "../telemetry/metrics/labels";
import type { Labels, QueryResult } from "../telemetry/types";
import { decideInvariant } from "./decide-invariant";
import { freshState, type Queried } from "./decision";

// Pure: rules, query results and states are plain data; no store, no clock, no intake.
const t0 = Date.UTC(2026, 0, 5);
const min = 60_000;

const rule = (over: Partial<Invariant> = {}): Invariant => ({
  id: 7,
  name: "QueueTooLong",
  query: "queue_length > 10",
  language: "promql",
  for: "2m",
  for_ms: 2 * min,
  severity: "high",
  description: "",
  enabled: true,
  created_at: t0,
  updated_at: t0,
  ...over,
});

const a: Labels = { job: "a" };
const b: Labels = { job: "b" };
const vector = (...series: [Labels, number][]): Queried<QueryResult> => ({
  ok: true,
  value: { resultType: "vector", result: series.map(([labels, v]) => ({ labels, t: t0, v })) },
});

/** Threads the state through evaluations at t0, t0 + 1m, …, as the monitor's ticks do. */
function run(
  inv: Invariant,
  results: Queried<QueryResult>[],
  prev: RuleStateRow = freshState("invariant:x"),
) {
  let state = prev;
  return results.map((r, i) => {
    const d = decideInvariant(inv, r, state, t0 + i * min);
    state = d.state;
    return d;
  });
}

describe("decideInvariant", () => {
  test.each([
    // [case, for, results per minute, index of the first firing evaluation or -1]
    ["nothing violates", 2 * min, [vector(), vector(), vector()], -1],
    ["violating, pending for the rest of `for`", 2 * min, [vector([a, 50]), vector([a, 50])], -1],
    ["violating for the whole `for`", 2 * min, [vector([a, 50]), vector([a, 50]), vector([a, 60])], 2],
    ["no `for`: fires at once", 0, [vector([a, 50])], 0],
    [
      "a clear evaluation restarts the timer",
      min,
      [vector([a, 1]), vector(), vector([a, 1]), vector([a, 1])],
      3,
    ],
  ] as const)("%s", (_, forMs, results, firstFiring) => {
    const ds = run(rule({ for_ms: forMs }), [...results]);
    expect(ds.map((d) => d.alert !== null).indexOf(true)).toBe(firstFiring);
    for (const d of ds) expect(d.failure).toBeNull();
  });

  test("pending keeps each series' own timer in the state", () => {
    const [first, second] = run(rule(), [vector([a, 50]), vector([a, 50], [b, 20])]);
    expect(first?.state).toMatchObject({ pending_since: t0, last_value: 1, history: "0", last_eval_at: t0 });
    expect(JSON.parse(second?.state.series_state as string)).toEqual({
      [fingerprint(a)]: t0,
      [fingerprint(b)]: t0 + min,
    });
    expect(second?.state.pending_since).toBe(t0);
  });

  test("fires per series: only the series past `for` are in the alert", () => {
    const ds = run(rule(), [vector([a, 50]), vector([a, 50], [b, 20]), vector([a, 60], [b, 20])]);
    const alert = ds[2]?.alert;
    expect(alert).toMatchObject({
      actor: "monitor",
      fingerprint: "invariant:QueueTooLong",
      linkRecurrence: true,
      observation: {
        rule_kind: "invariant",
        rule: "QueueTooLong",
        value: 60,
        labels: a,
        data: { series_count: 2, firing_count: 1, for_ms: 2 * min, pending_since: t0 },
        observed_at: t0 + 2 * min,
      },
      ticket: {
        title: "Invariant QueueTooLong violated",
        source: "invariant",
        source_ref: "invariant:7",
        priority: "P2",
        success_criteria: [{ name: "QueueTooLong", comparator: "empty", for_seconds: 120 }],
        context: { criteria_before: [{ comparator: "empty", value: 2 }] },
      },
    });
    expect(alert?.observation.data.series).toEqual([{ labels: a, t: t0, v: 60 }]);
    expect(alert?.dampedInto).toBeUndefined();
  });

  test.each([
    // [case, series before, series now, event]
    ["same count: the open ticket is left be", 1, [[a, 5]], null],
    [
      "one more series",
      1,
      [
        [a, 5],
        [b, 6],
      ],
      { event: "still_firing", data: { series: 2, value: 5 } },
    ],
    ["one fewer series", 3, [[a, 5]], { event: "still_firing", data: { series: 1, value: 5 } }],
    ["first evaluation", null, [[a, 5]], { event: "still_firing", data: { series: 1, value: 5 } }],
  ] as const)("still_firing only when the series count changed: %s", (_, before, now, whileOpen) => {
    const prev = { ...freshState("invariant:x"), last_value: before };
    const series = now.map(([l, v]) => [l, v] as [Labels, number]);
    const d = decideInvariant(rule({ for_ms: 0 }), vector(...series), prev, t0);
    expect(d.alert?.whileOpen ?? null).toEqual(whileOpen);
  });

  test("the evaluation that starts a flap raises one flapping alert and damps the rule's own", () => {
    const inv = rule({ for_ms: 0 });
    // Five changes so far; this firing evaluation is the sixth.
    const prev = { ...freshState("invariant:x"), history: "101010", last_value: 0 };
    const d = decideInvariant(inv, vector([a, 1]), prev, t0);
    expect(d.state).toMatchObject({ flapping: 1, history: "1010101" });
    expect(d.flapAlert).toMatchObject({
      fingerprint: "invariant:QueueTooLong:flapping",
      observation: { value: 6, data: { flapping: true, history: "1010101", changes: 6, evaluations: 7 } },
      ticket: {
        title: "Invariant QueueTooLong is flapping",
        success_criteria: [{ comparator: "empty", for_seconds: 600 }],
        priority: "P2",
      },
    });
    expect(d.flapAlert?.whileOpen).toBeUndefined();
    expect(d.alert?.dampedInto).toBe("invariant:QueueTooLong:flapping");

    // Still flapping next time: damped again, but no second flapping alert.
    const next = decideInvariant(inv, vector([a, 1]), d.state, t0 + min);
    expect(next.flapAlert).toBeNull();
    expect(next.alert?.dampedInto).toBe("invariant:QueueTooLong:flapping");
  });

  test("a flap can start on a clear evaluation: the flapping alert alone", () => {
    const prev = { ...freshState("invariant:x"), history: "010101" };
    const d = decideInvariant(rule({ for_ms: 0 }), vector(), prev, t0);
    expect(d.alert).toBeNull();
    expect(d.flapAlert?.fingerprint).toBe("invariant:QueueTooLong:flapping");
  });

  test.each([
    ["the query failed", { ok: false, error: "connection refused" }, "connection refused"],
    [
      "the query returned a range vector",
      { ok: true, value: { resultType: "matrix", result: [] } },
      "invariant queries must return an instant vector, got matrix",
    ],
  ] as const)("%s: counts the error and keeps the timers", (_, queried, message) => {
    const prev = {
      ...freshState("invariant:x"),
      pending_since: t0,
      series_state: JSON.stringify({ [fingerprint(a)]: t0 }),
      history: "11",
      consecutive_errors: 2,
      last_value: 1,
    };
    const d = decideInvariant(rule(), queried as Queried<QueryResult>, prev, t0 + min);
    expect(d.failure).toEqual({ message, consecutive: 3 });
    expect(d.state).toEqual({ ...prev, last_eval_at: t0 + min, last_error: message, consecutive_errors: 3 });
    expect(d.alert).toBeNull();
    expect(d.flapAlert).toBeNull();
  });

  test("a successful evaluation clears the error count", () => {
    const prev = { ...freshState("invariant:x"), last_error: "boom", consecutive_errors: 4 };
    expect(decideInvariant(rule(), vector(), prev, t0).state).toMatchObject({
      last_error: null,
      consecutive_errors: 0,
    });
  });

  test.each([
    ["a scalar is one series without labels", 3, 1],
    ["a NaN scalar is no series", Number.NaN, 0],
  ])("%s", (_, v, count) => {
    const d = decideInvariant(
      rule({ for_ms: 0 }),
      { ok: true, value: { resultType: "scalar", result: { t: t0, v } } },
      freshState("invariant:x"),
      t0,
    );
    expect(d.state.last_value).toBe(count);
    expect(d.alert?.observation.labels ?? null).toEqual(count ? {} : null);
  });

  test("a LogQL invariant's criterion is LogQL too", () => {
    const d = decideInvariant(
      rule({ for_ms: 0, language: "logql", description: "No panics" }),
      vector([a, 1]),
      freshState("invariant:x"),
      t0,
    );
    expect(d.alert?.ticket.success_criteria?.[0]?.language).toBe("logql");
    expect(d.alert?.ticket.objective).toStartWith(
      "No panics. The invariant query returns 1 violating series",
    );
  });
});
