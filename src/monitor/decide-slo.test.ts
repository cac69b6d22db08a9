import { describe, expect, test } from "bun:test";
import type { Slo } from "../rules/model";
import type { SloEvaluation } from "../slo/evaluate";
import { budgetStatus, checkBurn, defaultBurnPolicy } from "../slo/math";
import { decideSlo, recoveryHoldSeconds } from "./decide-slo";
import { freshState } from "./decision";

// Pure: the burn rates are given as `evaluateSlo` returns them; no metrics, no store, no intake.
const t0 = Date.UTC(2026, 0, 5);
const day = 86_400_000;

const slo: Slo = {
  id: 3,
  name: "checkout-availability",
  service: "checkout",
  description: "",
  objective: 99.9,
  window: "30d",
  window_ms: 30 * day,
  sli: { bad: 'http_requests_total{code=~"5.."}', total: "http_requests_total" },
  min_rate: 0,
  enabled: true,
  created_at: t0,
  updated_at: t0,
};

type Burn = readonly [long: number | null, short: number | null];

/** An evaluation with the given [long, short] burn per policy window (1h/5m, 6h/30m, 1d/2h, 3d/6h); 0 otherwise. */
function evaluation(burns: readonly Burn[] = [], over: Partial<SloEvaluation> = {}): SloEvaluation {
  const windows = defaultBurnPolicy.map((w, i) => checkBurn(w, burns[i]?.[0] ?? 0, burns[i]?.[1] ?? 0));
  return {
    slo: slo.name,
    objective: slo.objective,
    windows,
    firing: windows.filter((c) => c.firing),
    status: budgetStatus(slo.objective, slo.window_ms, 0.0005, 0.5),
    burn_5m: 0.5,
    errors: [],
    ...over,
  };
}

describe("decideSlo", () => {
  test.each([
    // [case, burns per window, firing windows (factors), priority of the ticket]
    [
      "every window below its factor",
      [
        [10, 10],
        [5, 5],
        [2, 2],
        [0.9, 0.9],
      ],
      [],
      null,
    ],
    ["1h and 5m above 14.4×", [[20, 16]], [14.4], "P1"],
    ["the long window above, the short one no longer", [[20, 3]], [], null],
    ["the short window above, the long one not yet", [[10, 30]], [], null],
    ["exactly at the factor is not above it", [[14.4, 14.4]], [], null],
    ["no data in a window", [[null, 20]], [], null],
    [
      "only the slow 3d/6h burn",
      [
        [0, 0],
        [0, 0],
        [0, 0],
        [1.5, 1.2],
      ],
      [1],
      "P3",
    ],
    [
      "1d/2h",
      [
        [0, 0],
        [0, 0],
        [4, 3.5],
      ],
      [3],
      "P2",
    ],
    [
      "several windows: the fastest names the ticket",
      [
        [20, 16],
        [7, 8],
        [4, 4],
      ],
      [14.4, 6, 3],
      "P1",
    ],
  ] as const)("%s", (_, burns, factors, priority) => {
    const d = decideSlo(slo, evaluation(burns), freshState("slo:x"), t0);
    expect(d.failure).toBeNull();
    expect(d.state).toMatchObject({ last_value: factors.length, last_eval_at: t0, consecutive_errors: 0 });
    expect(d.alert?.ticket.priority ?? null).toBe(priority);
    expect(d.alert?.observation.data.windows).toEqual(priority ? evaluation(burns).windows : undefined);
  });

  test("the alert names the top window, its burn and the criteria that verify the fix", () => {
    const d = decideSlo(
      slo,
      evaluation([
        [0, 0],
        [8, 7],
      ]),
      freshState("slo:x"),
      t0,
    );
    expect(d.alert).toMatchObject({
      actor: "monitor",
      fingerprint: "slo:checkout-availability",
      linkRecurrence: true,
      observation: {
        rule_kind: "slo",
        rule: "checkout-availability",
        value: 8,
        labels: { slo: "checkout-availability", service: "checkout" },
        observed_at: t0,
      },
      ticket: {
        title: "SLO checkout-availability is burning its error budget",
        source: "slo",
        source_ref: "slo:3",
        priority: "P1",
        context: {
          observation: { burn_long: 8, burn_short: 7, factor: 6 },
          criteria_before: [
            { comparator: "<", value: 7 },
            { comparator: "<", value: 0.5 },
          ],
        },
      },
    });
    expect(d.alert?.ticket.objective).toBe(
      "The 99.9% objective of checkout is burning 8.0× the sustainable rate over 6h (alert threshold 6×). " +
        "Bring the burn rate below 1.",
    );
    expect(
      d.alert?.ticket.success_criteria?.map((c) => [c.name, c.comparator, c.threshold, c.for_seconds]),
    ).toEqual([
      ["burn 30m", "<", 1, recoveryHoldSeconds],
      ["burn 5m", "<", 1, recoveryHoldSeconds],
    ]);
    expect(d.alert?.ticket.success_criteria?.[0]?.query).toContain("[30m]");
  });

  test.each([
    ["same number of windows: the open ticket is left be", 1, [[20, 16]], false],
    [
      "a second window joins",
      1,
      [
        [20, 16],
        [7, 8],
      ],
      true,
    ],
    ["first evaluation", null, [[20, 16]], true],
  ] as const)("still_firing only when the firing windows changed: %s", (_, before, burns, event) => {
    const d = decideSlo(slo, evaluation(burns), { ...freshState("slo:x"), last_value: before }, t0);
    if (!event) expect(d.alert?.whileOpen).toBeNull();
    else
      expect(d.alert?.whileOpen).toEqual({
        event: "still_firing",
        data: {
          windows: evaluation(burns).firing.map((f) => ({
            factor: f.window.factor,
            long: f.long,
            short: f.short,
          })),
        },
      });
  });

  test("a failed window query counts an error, keeps the last value and raises nothing", () => {
    const prev = { ...freshState("slo:x"), last_value: 1, consecutive_errors: 4 };
    const d = decideSlo(slo, evaluation([[20, 16]], { errors: ["timeout", "bad_data"] }), prev, t0);
    expect(d.failure).toEqual({ message: "timeout; bad_data", consecutive: 5 });
    expect(d.state).toEqual({
      ...prev,
      last_eval_at: t0,
      last_error: "timeout; bad_data",
      consecutive_errors: 5,
    });
    expect(d.alert).toBeNull();
  });

  test("a good evaluation clears the error count", () => {
    const prev = { ...freshState("slo:x"), last_error: "timeout", consecutive_errors: 2 };
    expect(decideSlo(slo, evaluation(), prev, t0).state).toMatchObject({
      last_error: null,
      consecutive_errors: 0,
    });
  });
});
