import type { Core } from "../core";
import { formatDuration } from "../lib/parse";
import type { Slo } from "../rules/model";
import { evaluateSlo } from "../slo/evaluate";
import { errorBudget, errorRatioQuery } from "../slo/math";
import type { MetricsBackend } from "../telemetry/types";
import type { RuleErrorSink } from "./invariants";
import type { RuleStateStore } from "./state-store";

/** Burn must stay below 1 this long before an SLO ticket counts as resolved. */
const recoveryHoldSeconds = 600;

/** Opens one ticket per SLO while any multiwindow burn-rate alert fires; further firings become events. */
export async function evaluateSloRule(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  slo: Slo,
  now: number,
  onError: RuleErrorSink,
): Promise<{ firing: boolean; ticketId: number | null }> {
  const key = `slo:${slo.name}`;
  const prev = states.get(key);
  const ev = await evaluateSlo(metrics, slo, now);
  if (ev.errors.length > 0) {
    const consecutive = prev.consecutive_errors + 1;
    states.put({
      ...prev,
      last_eval_at: now,
      last_error: ev.errors.join("; "),
      consecutive_errors: consecutive,
    });
    onError(key, ev.errors.join("; "), consecutive);
    return { firing: false, ticketId: null };
  }
  states.put({
    ...prev,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
    last_value: ev.firing.length,
  });
  const top = ev.firing[0];
  if (!top) return { firing: false, ticketId: null };

  const open = core.tickets.findOpenByFingerprint(key);
  if (open) {
    if (prev.last_value !== ev.firing.length) {
      core.tickets.addEvent(open.id, "still_firing", "monitor", {
        windows: ev.firing.map((f) => ({ factor: f.window.factor, long: f.long, short: f.short })),
      });
    }
    return { firing: true, ticketId: open.id };
  }
  const budget = errorBudget(slo.objective);
  const shortQuery = `(${errorRatioQuery(slo.sli, top.window.short_ms)}) / ${budget}`;
  const fastQuery = `(${errorRatioQuery(slo.sli, 300_000)}) / ${budget}`;
  const observation = core.observations.record({
    rule_kind: "slo",
    rule: slo.name,
    query: errorRatioQuery(slo.sli, top.window.long_ms),
    value: top.long,
    labels: { slo: slo.name, service: slo.service },
    data: { windows: ev.windows, budget: ev.status },
    observed_at: now,
  });
  const previous = core.tickets.lastByFingerprint(key);
  const ticket = core.tickets.create(
    {
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
        observation: {
          id: observation.id,
          burn_long: top.long,
          burn_short: top.short,
          factor: top.window.factor,
        },
        budget: ev.status,
        criteria_before: [
          { query: shortQuery, comparator: "<", value: top.short },
          { query: fastQuery, comparator: "<", value: ev.burn_5m },
        ],
        ...(previous ? { recurrence_of: previous.id } : {}),
      },
      source: "slo",
      source_ref: `slo:${slo.id}`,
      fingerprint: key,
      priority: top.window.priority,
      observation_id: observation.id,
      ...(previous ? { parent_id: previous.id } : {}),
    },
    "monitor",
  );
  return { firing: true, ticketId: ticket.id };
}
