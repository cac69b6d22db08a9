import type { TicketEvent } from "../tickets/model";

/** What a ticket's work has used so far, over all its attempts. */
export interface Spent {
  /** Brain turns. */
  steps: number;
  tokens: number;
  costUsd: number;
  /** Time spent working: the attempts' spans, not the time queued or waiting for a person. */
  wallMs: number;
}

export interface BudgetLimits {
  maxSteps: number;
  maxTokens?: number;
  maxCostUsd?: number;
  maxWallMs?: number;
}

/** Every entry into `in_progress` is a claim, and starts an attempt owned by the claimer. */
const isClaim = (e: TicketEvent) => e.kind === "status_changed" && e.data.to === "in_progress";

/**
 * Rebuilds the budget from the ticket's history, so a resumed ticket (after an approval, a stop or a lost
 * lease) continues its budget instead of starting a fresh one. An attempt's span runs from its claim to the
 * last event its claimer wrote before the next claim: the queue, a person's decision and a dead worker's
 * expired lease are other actors' events and do not count. With `now`, the latest attempt is still running.
 */
export function budgetFromEvents(events: readonly TicketEvent[], now?: number): Spent {
  const spent: Spent = { steps: 0, tokens: 0, costUsd: 0, wallMs: 0 };
  let attempt: { owner: string; start: number; end: number } | null = null;
  for (const e of events) {
    if (isClaim(e)) {
      if (attempt) spent.wallMs += attempt.end - attempt.start;
      attempt = { owner: e.actor, start: e.ts, end: e.ts };
    } else if (attempt && e.actor === attempt.owner) {
      attempt.end = Math.max(attempt.end, e.ts);
    }
    if (e.kind !== "brain_turn") continue;
    const u = e.data.usage as { input_tokens?: number; output_tokens?: number } | undefined;
    spent.steps++;
    spent.tokens += (u?.input_tokens ?? 0) + (u?.output_tokens ?? 0);
    spent.costUsd += (e.data.cost_usd as number | null | undefined) ?? 0;
  }
  if (attempt) spent.wallMs += (now !== undefined ? Math.max(now, attempt.end) : attempt.end) - attempt.start;
  return spent;
}

/** The first limit the ticket has reached, as text for its resolution, or null while it may go on. */
export function overBudget(spent: Spent, limits: BudgetLimits): string | null {
  if (spent.steps >= limits.maxSteps) return `${spent.steps} steps (max ${limits.maxSteps})`;
  if (limits.maxTokens !== undefined && spent.tokens >= limits.maxTokens)
    return `${spent.tokens} tokens (max ${limits.maxTokens})`;
  if (limits.maxCostUsd !== undefined && spent.costUsd >= limits.maxCostUsd)
    return `$${spent.costUsd.toFixed(4)} (max $${limits.maxCostUsd})`;
  if (limits.maxWallMs !== undefined && spent.wallMs >= limits.maxWallMs)
    return `${spent.wallMs} ms of wall time (max ${limits.maxWallMs})`;
  return null;
}
