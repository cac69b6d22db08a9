import type { Core } from "../core";
import type { Slo } from "../rules/model";
import { type RuleStateStore, ruleStateKey } from "../rules/rule-state-store";
import { evaluateSlo } from "../slo/evaluate";
import type { MetricsBackend } from "../telemetry/types";
import type { AlertRaiser } from "./baseline-capture";
import { decideSlo } from "./decide-slo";
import type { RuleErrorSink } from "./invariants";

/**
 * Opens one ticket per SLO while any multiwindow burn-rate alert fires; further firings become events.
 * Queries every window, lets `decideSlo` judge, then writes its state and raises what it decided.
 */
export async function evaluateSloRule(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  slo: Slo,
  now: number,
  onError: RuleErrorSink,
  raise: AlertRaiser = async (a) => core.intake.raise(a),
): Promise<{ firing: boolean; ticketId: number | null }> {
  const key = ruleStateKey("slo", slo.name);
  const prev = states.get(key);
  const d = decideSlo(slo, await evaluateSlo(metrics, slo, now), prev, now);
  states.put(d.state);
  if (d.failure) {
    onError(key, d.failure.message, d.failure.consecutive);
    return { firing: false, ticketId: null };
  }
  if (!d.alert) return { firing: false, ticketId: null };
  // A burn is judged over windows up to an hour long: the baseline is read from before the longest fast one.
  const raised = await raise(d.alert, { now, forMs: 3_600_000 });
  return { firing: true, ticketId: raised.ticket?.id ?? null };
}
