import type { Core } from "../core";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";
import { type CriterionCheck, checkCriterion } from "./criteria";
import { instantIn } from "./observe";
import type { RuleStateStore } from "./state-store";

export interface VerifyOptions {
  timeoutMs: number;
  maxAttempts: number;
}

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
 * Verification belongs to the monitor: the agent only claims a fix. A ticket completes when all its
 * criteria hold continuously for their longest `for`; it goes back to the agent (or fails) on timeout.
 */
export async function verifyTicket(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  t: Ticket,
  now: number,
  opts: VerifyOptions,
  logs?: LogsBackend | null,
): Promise<"completed" | "pending" | "failed" | "waiting"> {
  const key = `verify:${t.id}`;
  const prev = states.get(key);
  // The window starts when the ticket entered verifying, even if the monitor first looks later.
  const startedAt = prev.started_at ?? Math.min(now, t.updated_at);
  const checks = await runChecks(metrics, logs, t, now);
  const allPass = checks.every((c) => c.pass);
  const needMs = Math.max(0, ...t.success_criteria.map((c) => c.for_seconds * 1000));
  const passingSince = allPass ? (prev.pending_since ?? now) : null;
  const before = (t.context.criteria_before as unknown[] | undefined) ?? [];

  if (allPass && now - (passingSince as number) >= needMs) {
    states.delete(key);
    core.tickets.addEvent(t.id, "verification", "monitor", {
      result: "passed",
      before,
      after: checks,
      held_ms: needMs,
    });
    core.tickets.transition(t.id, "completed", "monitor", { resolution: "verified: success criteria hold" });
    return "completed";
  }
  if (!allPass && now - startedAt >= opts.timeoutMs) {
    states.delete(key);
    const failing = checks
      .filter((c) => !c.pass)
      .map((c) => `${c.query} ${c.comparator} ${c.threshold ?? ""}`.trim());
    core.tickets.addEvent(t.id, "verification", "monitor", {
      result: "failed",
      before,
      after: checks,
      failing,
    });
    if (t.attempts >= opts.maxAttempts) {
      core.tickets.transition(t.id, "failed", "monitor", {
        reason: `verification failed after ${t.attempts} attempts`,
        resolution: `not fixed: ${failing.join("; ")}`,
      });
      return "failed";
    }
    core.tickets.transition(t.id, "pending", "monitor", {
      reason: `verification failed: ${failing.join("; ")}`,
    });
    return "pending";
  }
  states.put({
    ...prev,
    started_at: startedAt,
    pending_since: passingSince,
    last_eval_at: now,
    last_value: checks.filter((c) => c.pass).length,
  });
  return "waiting";
}
