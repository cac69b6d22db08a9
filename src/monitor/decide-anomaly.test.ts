import { describe, expect, test } from "bun:test";
import type { Anomaly } from "../rules/anomalies";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { AnomalyVerdict } from "./anomaly-math";
import { anomalyDue, decideAnomaly, type Scored } from "./decide-anomaly";
import { freshState, type Queried } from "./decision";

// Pure: the detector's verdict is given as `scoreAnomaly` returns it; no metrics, no store, no intake.
const t0 = Date.UTC(2026, 0, 5);
const min = 60_000;
const stepMs = 15_000;

const detector = (over: Partial<Anomaly> = {}): Anomaly => ({
  id: 4,
  name: "CheckoutRate",
  query: "sum(rate(checkout_total[5m]))",
  method: "mad",
  sensitivity: 4,
  window: "1h",
  window_ms: 60 * min,
  min_history: "30m",
  min_history_ms: 30 * min,
  cooldown: "1h",
  cooldown_ms: 60 * min,
  min_change: 0,
  for: "0s",
  for_ms: 0,
  severity: "warning",
  description: "",
  enabled: true,
  updated_at: 0,
  ...over,
});

const band = { low: 90, high: 110 };
const outlier = (current = 180, b: AnomalyVerdict["band"] = band): Queried<Scored | null> => ({
  ok: true,
  value: {
    verdict: { score: 9.5, anomalous: true, reason: `value ${current} is 9.5 MADs from 100`, band: b },
    current,
  },
});
const usual: Queried<Scored | null> = {
  ok: true,
  value: { verdict: { score: 0.4, anomalous: false, reason: "within range", band }, current: 102 },
};
const young: Queried<Scored | null> = { ok: true, value: null };
const state = (over: Partial<RuleStateRow> = {}): RuleStateRow => ({ ...freshState("anomaly:x"), ...over });

describe("anomalyDue (one judgement per detector point)", () => {
  test.each([
    // [case, window, last evaluation, now, due]
    ["never evaluated", 60 * min, null, t0, true],
    ["a tick later, the point is not new yet", 60 * min, t0, t0 + stepMs, false],
    ["a window of 1h has a point each minute", 60 * min, t0, t0 + min, true],
    ["a short window: every tick", 10 * min, t0, t0 + stepMs, true],
    ["a day's window has a point each 24 minutes", 24 * 60 * min, t0, t0 + 23 * min, false],
  ] as const)("%s", (_, windowMs, last, now, due) => {
    expect(anomalyDue(detector({ window_ms: windowMs }), state({ last_eval_at: last }), now, stepMs)).toBe(
      due,
    );
  });
});

describe("decideAnomaly", () => {
  test.each([
    // [case, detector, previous state, scored, fires, started_at after]
    ["a usual value", {}, {}, usual, false, null],
    ["an outlier without `for`", {}, {}, outlier(), true, t0],
    [
      "an outlier during the cooldown of the last firing",
      {},
      { started_at: t0 - 10 * min },
      outlier(),
      false,
      t0 - 10 * min,
    ],
    ["an outlier once the cooldown has passed", {}, { started_at: t0 - 60 * min }, outlier(), true, t0],
    [
      "an outlier, pending for the rest of `for`",
      { for_ms: 2 * min },
      { pending_since: t0 - min },
      outlier(),
      false,
      null,
    ],
    [
      "an outlier for the whole `for`",
      { for_ms: 2 * min },
      { pending_since: t0 - 2 * min },
      outlier(),
      true,
      t0,
    ],
  ] as const)("%s", (_, over, prev, scored, fires, startedAt) => {
    const d = decideAnomaly(detector(over), scored, state(prev), t0, stepMs);
    expect(d.alert !== null).toBe(fires);
    expect(d.failure).toBeNull();
    expect(d.verdict).toEqual(scored.ok ? (scored.value?.verdict ?? null) : null);
    expect(d.state).toMatchObject({ started_at: startedAt, last_eval_at: t0, last_value: d.verdict?.score });
  });

  test("pending starts with the first outlier and ends with a usual value", () => {
    const a = detector({ for_ms: 2 * min });
    const first = decideAnomaly(a, outlier(), state(), t0, stepMs);
    expect(first.state.pending_since).toBe(t0);
    const calm = decideAnomaly(a, usual, first.state, t0 + min, stepMs);
    expect(calm.state.pending_since).toBeNull();
  });

  test("the alert: its ticket, its observation and the criterion that verifies the fix", () => {
    const d = decideAnomaly(detector(), outlier(180), state(), t0, stepMs);
    expect(d.alert).toMatchObject({
      actor: "monitor",
      fingerprint: "anomaly:CheckoutRate",
      whileOpen: { event: "still_firing", data: { score: 9.5, reason: "value 180 is 9.5 MADs from 100" } },
      linkRecurrence: true,
      observation: {
        rule_kind: "anomaly",
        rule: "CheckoutRate",
        value: 180,
        data: { method: "mad", score: 9.5, sensitivity: 4, band },
        observed_at: t0,
      },
      ticket: {
        title: "Anomaly CheckoutRate: sum(rate(checkout_total[5m]))",
        objective:
          "value 180 is 9.5 MADs from 100. Find the cause; if it is a fault, fix it so the value returns to its " +
          "usual range (90.00 to 110.0).",
        source: "anomaly",
        source_ref: "anomaly:4",
        priority: "P3",
        context: { criteria_before: [{ comparator: "<=", value: 180 }] },
      },
    });
    // Without `for` the observation has no pending time to report.
    expect(d.alert?.observation.data).not.toHaveProperty("pending_since");
    const withFor = decideAnomaly(
      detector({ for_ms: min }),
      outlier(),
      state({ pending_since: t0 - min }),
      t0,
      stepMs,
    );
    expect(withFor.alert?.observation.data.pending_since).toBe(t0 - min);
  });

  test.each([
    // [case, current, band, criteria]
    ["above the band: back at or below its top", 180, band, [{ comparator: "<=", threshold: 110 }]],
    ["below the band: back at or above its bottom", 20, band, [{ comparator: ">=", threshold: 90 }]],
    ["no band: nothing to verify against", 180, null, []],
  ] as const)("criteria: %s", (_, current, b, criteria) => {
    const d = decideAnomaly(detector(), outlier(current, b), state(), t0, stepMs);
    expect(d.alert?.ticket.success_criteria).toMatchObject(
      criteria.map((c) => ({ ...c, name: "CheckoutRate back in its usual range", for_seconds: 180 })),
    );
  });

  test("too little history yet: no verdict, and any pending outlier is forgotten", () => {
    const prev = state({ pending_since: t0 - min, last_value: 3, last_error: "x", consecutive_errors: 1 });
    const d = decideAnomaly(detector(), young, prev, t0, stepMs);
    expect(d).toEqual({
      state: { ...prev, pending_since: null, last_eval_at: t0, last_error: null, consecutive_errors: 0 },
      verdict: null,
      alert: null,
      failure: null,
    });
  });

  test("a failed query counts the error and keeps the timers", () => {
    const prev = state({ pending_since: t0 - min, started_at: t0 - 5 * min, consecutive_errors: 1 });
    const d = decideAnomaly(detector(), { ok: false, error: "range query timed out" }, prev, t0, stepMs);
    expect(d.failure).toEqual({ message: "range query timed out", consecutive: 2 });
    expect(d.state).toEqual({
      ...prev,
      last_eval_at: t0,
      last_error: "range query timed out",
      consecutive_errors: 2,
    });
    expect(d.verdict).toBeNull();
    expect(d.alert).toBeNull();
  });
});
