import { formatDuration } from "../lib/duration";
import type { Slo } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { SloEvaluation } from "../slo/evaluate";
import { errorBudget, errorRatioQuery } from "../slo/math";
import { type Alert, fingerprints } from "../tickets/intake";
import { failedEvaluation, type RuleFailure } from "./decision";

/** Burn must stay below 1 this long before an SLO ticket counts as resolved. */
export const recoveryHoldSeconds = 600;

export interface SloDecision {
  state: RuleStateRow;
  /** Set while any multiwindow burn-rate alert fires: opens the SLO's ticket, or updates the open one. */
  alert: Alert | null;
  /** Set when any of the SLI's windows could not be queried. */
  failure: RuleFailure | null;
}

/**
 * Pure: one evaluation of an SLO from its burn rates (`evaluateSlo`, which queries every window) and the
 * rule's previous state. The first firing window — the fastest burn — names the ticket and its priority.
 */
export function decideSlo(slo: Slo, ev: SloEvaluation, prev: RuleStateRow, now: number): SloDecision {
  if (ev.errors.length > 0) return { ...failedEvaluation(prev, ev.errors.join("; "), now), alert: null };
  const state: RuleStateRow = {
    ...prev,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
    last_value: ev.firing.length,
  };
  const top = ev.firing[0];
  if (!top) return { state, alert: null, failure: null };

  const budget = errorBudget(slo.objective);
  const shortQuery = `(${errorRatioQuery(slo.sli, top.window.short_ms)}) / ${budget}`;
  const fastQuery = `(${errorRatioQuery(slo.sli, 300_000)}) / ${budget}`;
  const alert: Alert = {
    actor: "monitor",
    fingerprint: fingerprints.rule("slo", slo.name),
    // The open ticket hears of a change in how many windows fire, not of every evaluation.
    whileOpen:
      prev.last_value !== ev.firing.length
        ? {
            event: "still_firing",
            data: {
              windows: ev.firing.map((f) => ({ factor: f.window.factor, long: f.long, short: f.short })),
            },
          }
        : null,
    linkRecurrence: true,
    observation: {
      rule_kind: "slo",
      rule: slo.name,
      query: errorRatioQuery(slo.sli, top.window.long_ms),
      value: top.long,
      labels: { slo: slo.name, service: slo.service },
      data: { windows: ev.windows, budget: ev.status },
      observed_at: now,
    },
    ticket: {
      title: `SLO ${slo.name} is burning its error budget`,
      objective:
        `The ${slo.objective}% objective of ${slo.service} is burning ${top.long?.toFixed(1)}× the sustainable rate over ` +
        `${formatDuration(top.window.long_ms)} (alert threshold ${top.window.factor}×). Bring the burn rate below 1.`,
      success_criteria: [
        {
          name: `burn ${formatDuration(top.window.short_ms)}`,
          query: shortQuery,
          comparator: "<",
          threshold: 1,
          for_seconds: recoveryHoldSeconds,
        },
        {
          name: "burn 5m",
          query: fastQuery,
          comparator: "<",
          threshold: 1,
          for_seconds: recoveryHoldSeconds,
        },
      ],
      context: {
        rule: { kind: "slo", name: slo.name, objective: slo.objective, window: slo.window, sli: slo.sli },
        observation: { burn_long: top.long, burn_short: top.short, factor: top.window.factor },
        budget: ev.status,
        criteria_before: [
          { query: shortQuery, comparator: "<", value: top.short },
          { query: fastQuery, comparator: "<", value: ev.burn_5m },
        ],
      },
      source: "slo",
      source_ref: `slo:${slo.id}`,
      priority: top.window.priority,
    },
  };
  return { state, alert, failure: null };
}
