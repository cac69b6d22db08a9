import type { Core } from "../core";
import type { RuleStateStore } from "../rules/rule-state-store";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";
import { type CriterionCheck, checkCriterion } from "./criteria";
import { decideVerification, type VerifyOptions } from "./decide-verification";
import { instantIn } from "./observe";

export type { VerifyOptions } from "./decide-verification";

async function runChecks(
  metrics: MetricsBackend,
  logs: LogsBackend | null | undefined,
  t: Ticket,
  now: number,
): Promise<CriterionCheck[]> {
  return Promise.all(
    t.success_criteria.map(async (c) => {
      try {
        return checkCriterion(c, await instantIn({ metrics, logs }, c.language, c.query, now));
      } catch {
        return {
          query: c.query,
          comparator: c.comparator,
          threshold: c.threshold ?? null,
          value: null,
          pass: false,
        };
      }
    }),
  );
}

/**
 * Verification belongs to the monitor: the agent only claims a fix. Checks the ticket's criteria, lets
 * `decideVerification` judge, then keeps or drops its state and records and applies what it decided.
 */
export async function verifyTicket(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  t: Ticket,
  now: number,
  opts: VerifyOptions,
  logs?: LogsBackend | null,
): Promise<"completed" | "pending" | "failed" | "needs_human" | "waiting"> {
  const key = `verify:${t.id}`;
  const prev = states.get(key);
  const checks = await runChecks(metrics, logs, t, now);
  const d = decideVerification(t, checks, prev, now, opts);
  if (d.outcome === "waiting") {
    states.put(d.state);
    return "waiting";
  }
  states.delete(key);
  core.tickets.addEvent(t.id, "verification", "monitor", d.event);
  core.tickets.transition(t.id, d.outcome, "monitor", d.transition);
  return d.outcome;
}
