import type { TicketEvent } from "../tickets/model";
import type { NotifyEvent, Target } from "./model";

const ended = new Set(["completed", "answered", "cancelled"]);

/** The only kinds of ticket event that can mean anything to a person (the rest are never read). */
export const announcedKinds = ["created", "status_changed"] as const;

/** A move to `failed`: the one event whose meaning depends on what came before it in the attempt. */
export const isFailedMove = (e: TicketEvent): boolean =>
  e.kind === "status_changed" && e.data.to === "failed";

/**
 * What a stored ticket event means to a person, if anything. A failure is told once, by its cause, read from
 * the attempt's events as the trajectories read it (`earlier`: the ticket's events before this one).
 */
export function notifyEventOf(e: TicketEvent, earlier: readonly TicketEvent[]): NotifyEvent | null {
  if (e.kind === "created") return e.data.priority === "P1" ? "p1_opened" : null;
  if (e.kind !== "status_changed") return null;
  const to = e.data.to;
  if (to === "awaiting_approval" || to === "needs_human") return to;
  if (typeof to === "string" && ended.has(to)) return "completed";
  if (to !== "failed") return null;
  const claimed = earlier.findLastIndex(
    (x) => x.kind === "status_changed" && x.data.to === "in_progress" && x.data.reason === "claimed",
  );
  const attempt = earlier.slice(Math.max(0, claimed));
  if (attempt.some((x) => x.kind === "budget_exhausted")) return "budget_exhausted";
  if (attempt.some((x) => x.kind === "tool_result" && x.data.name === "give_up")) return "gave_up";
  return "failed";
}

/** The event's own words for a person: why it waits, or how it ended. Untrusted (the model writes them). */
export function detailOf(e: TicketEvent): string | null {
  const text = e.data.resolution ?? e.data.reason;
  return typeof text === "string" && text.trim() !== "" ? text : null;
}

export interface PlanInput {
  event: TicketEvent;
  /** The ticket's earlier events; needed only when `isFailedMove(event)`. */
  earlier: readonly TicketEvent[];
  now: number;
  /** Older events are not announced: a target added today is not told last month's failures. */
  maxAgeMs: number;
  targets: readonly Pick<Target, "name" | "events">[];
  /** Targets already told something about this ticket. */
  told: ReadonlySet<string>;
}

export interface Planned {
  target: string;
  event: NotifyEvent;
}

/** Which targets hear about one ticket event. `completed` goes only to those told of the ticket before. */
export function plan(input: PlanInput): Planned[] {
  const event = notifyEventOf(input.event, input.earlier);
  if (event === null || input.now - input.event.ts > input.maxAgeMs) return [];
  return input.targets
    .filter((t) => t.events.includes(event) && (event !== "completed" || input.told.has(t.name)))
    .map((t) => ({ target: t.name, event }));
}

/** An answer worth trying again: no answer, a timeout, throttling or the receiver's own fault. */
export const retryableStatus = (status: number | null): boolean =>
  status === null || status === 408 || status === 429 || status >= 500;

/** Waits between attempts: 5 s, 15 s, 45 s, … up to 10 minutes. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(600_000, 5_000 * 3 ** Math.max(0, attempt - 1));

/** After attempt `attempt` (1-based) failed: try again at `next_at`, or give up. */
export function afterFailure(
  attempt: number,
  retryable: boolean,
  retries: number,
  now: number,
): { status: "pending"; next_at: number } | { status: "failed" } {
  return retryable && attempt <= retries
    ? { status: "pending", next_at: now + retryDelayMs(attempt) }
    : { status: "failed" };
}
