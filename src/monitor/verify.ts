import type { Core } from "../core";
import type { RuleStateStore } from "../rules/rule-state-store";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";
import { type Baseline, judgeAgainstBaseline } from "./baseline";
import { readSignals } from "./baseline-capture";
import { type CriterionCheck, checkCriterion } from "./criteria";
import { decideVerification, type VerifyOptions } from "./decide-verification";
import { readGoldenSignals } from "./golden-signals";
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
  // The service's golden signals when the ticket opened and now, so a record says what the service looked
  // like, not only whether the criteria held. Read once decided; a query that fails reads as null.
  const [golden_before, golden_after] = await Promise.all([
    readGoldenSignals(metrics, t.created_at),
    readGoldenSignals(metrics, now),
  ]);
  // A verified fix is also measured against the baseline read when the ticket opened (if it has one).
  const baseline = (t.context.baseline as Baseline | undefined) ?? null;
  const judged =
    d.outcome === "completed" && baseline
      ? judgeAgainstBaseline(baseline, await readSignals({ metrics, logs }, baseline.signals, now))
      : null;
  const transition =
    judged?.partial && d.transition.resolution
      ? {
          ...d.transition,
          resolution: `${d.transition.resolution}, but worse than before the fault (${judged.worse.join("; ")})`,
        }
      : d.transition;
  states.delete(key);
  core.tickets.addEvent(t.id, "verification", "monitor", {
    ...d.event,
    golden_before,
    golden_after,
    baseline,
    partial: judged?.partial ?? false,
    ...(judged ? { against_baseline: judged.signals } : {}),
  });
  core.tickets.transition(t.id, d.outcome, "monitor", transition);
  return d.outcome;
}
