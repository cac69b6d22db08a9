import type { RuleStateRow } from "../rules/rule-state-store";
import type { Ticket } from "../tickets/model";
import type { CriterionCheck } from "./criteria";

export interface VerifyOptions {
  timeoutMs: number;
  maxAttempts: number;
}

/** What the ticket's transition records. */
export interface TransitionNote {
  reason?: string;
  resolution?: string;
}

export type VerificationDecision =
  /** Still watching: the window and the passing streak are kept for the next evaluation. */
  | { outcome: "waiting"; state: RuleStateRow }
  /** Decided: the state is dropped, a `verification` event records before and after, the ticket moves to `outcome`. */
  | {
      outcome: "completed" | "pending" | "failed" | "needs_human";
      event: Record<string, unknown>;
      transition: TransitionNote;
    };

/**
 * Pure: one look at a ticket in verifying, from its criteria's checks and the previous verification state.
 * It completes when all criteria have held continuously for their longest `for`; when they do not hold once
 * the timeout has passed since it entered verifying, it goes back to the agent, or fails at its last attempt.
 */
export function decideVerification(
  t: Ticket,
  checks: readonly CriterionCheck[],
  prev: RuleStateRow,
  now: number,
  opts: VerifyOptions,
): VerificationDecision {
  // Nothing to check is nothing verified: such a ticket goes to a person, never to "completed".
  if (t.success_criteria.length === 0)
    return {
      outcome: "needs_human",
      event: { result: "no_criteria", before: [], after: [] },
      transition: { reason: "no success criteria: there is nothing to verify the claimed fix against" },
    };
  // The window starts when the ticket entered verifying, even if the monitor first looks later.
  const startedAt = prev.started_at ?? Math.min(now, t.updated_at);
  const allPass = checks.every((c) => c.pass);
  const needMs = Math.max(0, ...t.success_criteria.map((c) => c.for_seconds * 1000));
  const passingSince = allPass ? (prev.pending_since ?? now) : null;
  const before = (t.context.criteria_before as unknown[] | undefined) ?? [];

  if (allPass && now - (passingSince as number) >= needMs) {
    return {
      outcome: "completed",
      event: { result: "passed", before, after: checks, held_ms: needMs },
      transition: { resolution: "verified: success criteria hold" },
    };
  }
  if (!allPass && now - startedAt >= opts.timeoutMs) {
    const failing = checks
      .filter((c) => !c.pass)
      .map((c) => `${c.query} ${c.comparator} ${c.threshold ?? ""}`.trim());
    const event = { result: "failed", before, after: checks, failing };
    if (t.attempts >= opts.maxAttempts) {
      const transition = {
        reason: `verification failed after ${t.attempts} attempts`,
        resolution: `not fixed: ${failing.join("; ")}`,
      };
      return { outcome: "failed", event, transition };
    }
    return {
      outcome: "pending",
      event,
      transition: { reason: `verification failed: ${failing.join("; ")}` },
    };
  }
  const state: RuleStateRow = {
    ...prev,
    started_at: startedAt,
    pending_since: passingSince,
    last_eval_at: now,
    last_value: checks.filter((c) => c.pass).length,
  };
  return { outcome: "waiting", state };
}
