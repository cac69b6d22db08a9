import type { Core } from "../core";
import type { Invariant } from "../rules/model";
import { type RuleStateStore, ruleStateKey } from "../rules/rule-state-store";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { AlertRaiser } from "./baseline-capture";
import { decideInvariant } from "./decide-invariant";
import { attempt } from "./decision";
import { instantIn } from "./observe";

export type RuleErrorSink = (ruleKey: string, message: string, consecutive: number) => void;

/**
 * Evaluates one invariant and opens (or updates) its ticket when it has been violated for its `for`: queries,
 * lets `decideInvariant` judge, then writes its state and raises what it decided.
 */
export async function evaluateInvariant(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  inv: Invariant,
  now: number,
  onError: RuleErrorSink,
  logs?: LogsBackend | null,
  raise: AlertRaiser = async (a) => core.intake.raise(a),
): Promise<{ firing: boolean; ticketId: number | null }> {
  const key = ruleStateKey("invariant", inv.name);
  const prev = states.get(key);
  const queried = await attempt(() => instantIn({ metrics, logs }, inv.language, inv.query, now));
  const d = decideInvariant(inv, queried, prev, now);
  states.put(d.state);
  if (d.failure) {
    onError(key, d.failure.message, d.failure.consecutive);
    return { firing: false, ticketId: null };
  }
  // The flapping ticket first: the rule's own alert is damped into it.
  const flapTicket = d.flapAlert ? (core.intake.raise(d.flapAlert).ticket?.id ?? null) : null;
  if (!d.alert) return { firing: false, ticketId: flapTicket };
  const raised = await raise(d.alert, { now, forMs: inv.for_ms });
  return { firing: true, ticketId: raised.ticket?.id ?? null };
}
