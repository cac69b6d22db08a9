import { describe, expect, test } from "bun:test";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { SuccessCriterion, Ticket } from "../tickets/model";
import type { CriterionCheck } from "./criteria";
import { decideVerification } from "./decide-verification";
import { freshState } from "./decision";

// Pure: the criteria's checks are given as `checkCriterion` returns them; no metrics, no store, no tickets.
const t0 = Date.UTC(2026, 0, 5);
const min = 60_000;
const opts = { timeoutMs: 10 * min, maxAttempts: 2 };

const latency: SuccessCriterion = {
  query: "p99_latency_seconds",
  comparator: "<",
  threshold: 0.5,
  for_seconds: 120,
};
const errors: SuccessCriterion = { query: "errors_total", comparator: "empty", for_seconds: 0 };

const ticket = (over: Partial<Ticket> = {}): Ticket => ({
  id: 12,
  title: "Latency too high",
  objective: "Bring p99 under 500ms.",
  success_criteria: [latency, errors],
  context: { criteria_before: [{ query: latency.query, comparator: "<", value: 2.1 }] },
  source: "invariant",
  source_ref: "invariant:1",
  fingerprint: "invariant:Latency",
  priority: "P2",
  status: "verifying",
  parent_id: null,
  observation_id: 1,
  lease_owner: null,
  lease_expires_at: null,
  attempts: 1,
  created_at: t0 - 60 * min,
  updated_at: t0,
  finished_at: null,
  resolution: null,
  ...over,
});

const check = (c: SuccessCriterion, pass: boolean): CriterionCheck => ({
  query: c.query,
  comparator: c.comparator,
  threshold: c.threshold ?? null,
  value: pass ? 0 : 3,
  pass,
});
const passing = [check(latency, true), check(errors, true)];
const latencyFails = [check(latency, false), check(errors, true)];
const state = (over: Partial<RuleStateRow> = {}): RuleStateRow => ({ ...freshState("verify:12"), ...over });

describe("decideVerification", () => {
  test.each([
    // [case, previous state, checks, minutes since the ticket entered verifying, attempts, outcome]
    ["criteria pass on the first look: the longest `for` is still to hold", {}, passing, 0, 1, "waiting"],
    ["criteria held for the longest `for`", { pending_since: t0 - 2 * min }, passing, 2, 1, "completed"],
    ["criteria held, a minute short", { pending_since: t0 + min }, passing, 2, 1, "waiting"],
    ["a criterion fails within the timeout", {}, latencyFails, 5, 1, "waiting"],
    ["a criterion fails at the timeout: back to the agent", {}, latencyFails, 10, 1, "pending"],
    ["a criterion fails at the timeout of the last attempt", {}, latencyFails, 10, 2, "failed"],
    ["past the timeout, criteria passing but not held yet", {}, passing, 30, 1, "waiting"],
  ] as const)("%s", (_, prev, checks, minutesIn, attempts, outcome) => {
    const now = t0 + minutesIn * min;
    const d = decideVerification(ticket({ attempts }), checks, state(prev), now, opts);
    expect(d.outcome).toBe(outcome);
  });

  test("waiting keeps the window start and the passing streak", () => {
    const first = decideVerification(ticket(), passing, state(), t0 + min, opts);
    if (first.outcome !== "waiting") throw new Error(first.outcome);
    // The window starts when the ticket entered verifying, even though the monitor first looked a minute later.
    expect(first.state).toEqual(
      state({ started_at: t0, pending_since: t0 + min, last_eval_at: t0 + min, last_value: 2 }),
    );
    const broken = decideVerification(ticket(), latencyFails, first.state, t0 + 2 * min, opts);
    if (broken.outcome !== "waiting") throw new Error(broken.outcome);
    expect(broken.state).toMatchObject({ started_at: t0, pending_since: null, last_value: 1 });
  });

  test("a ticket the monitor sees before its update time starts its window now", () => {
    const d = decideVerification(ticket({ updated_at: t0 + min }), latencyFails, state(), t0, opts);
    expect(d).toMatchObject({ outcome: "waiting", state: { started_at: t0 } });
  });

  test("completion records before, after and how long the criteria held", () => {
    const d = decideVerification(ticket(), passing, state({ pending_since: t0 }), t0 + 2 * min, opts);
    expect(d).toEqual({
      outcome: "completed",
      event: {
        result: "passed",
        before: [{ query: "p99_latency_seconds", comparator: "<", value: 2.1 }],
        after: passing,
        held_ms: 120_000,
      },
      transition: { resolution: "verified: success criteria hold" },
    });
  });

  test("a ticket without criteria is never verified: it goes to a person, whenever the monitor looks", () => {
    for (const now of [t0, t0 + 60 * min]) {
      const d = decideVerification(ticket({ success_criteria: [], context: {} }), [], state(), now, opts);
      expect(d).toMatchObject({ outcome: "needs_human", event: { result: "no_criteria" } });
    }
  });

  test("a timeout names the failing criteria, to the agent or in the failure", () => {
    const now = t0 + 10 * min;
    const failingEvent = {
      result: "failed",
      before: [{ query: "p99_latency_seconds", comparator: "<", value: 2.1 }],
      after: latencyFails,
      failing: ["p99_latency_seconds < 0.5"],
    };
    expect(decideVerification(ticket({ attempts: 1 }), latencyFails, state(), now, opts)).toEqual({
      outcome: "pending",
      event: failingEvent,
      transition: { reason: "verification failed: p99_latency_seconds < 0.5" },
    });
    const both = [check(latency, false), check(errors, false)];
    expect(
      decideVerification(ticket({ attempts: 3 }), both, state({ started_at: t0 - 20 * min }), t0, opts),
    ).toEqual({
      outcome: "failed",
      event: { ...failingEvent, after: both, failing: ["p99_latency_seconds < 0.5", "errors_total empty"] },
      transition: {
        reason: "verification failed after 3 attempts",
        resolution: "not fixed: p99_latency_seconds < 0.5; errors_total empty",
      },
    });
  });
});
