import { conflict } from "../lib/errors";
import type { TicketStatus } from "./model";

// Who may move a ticket where. Completion only comes from verification (the monitor), never from the agent.
const transitions: Record<TicketStatus, readonly TicketStatus[]> = {
  pending: ["in_progress", "cancelled"],
  in_progress: ["pending", "awaiting_approval", "verifying", "failed", "cancelled"],
  awaiting_approval: ["pending", "cancelled", "failed"],
  verifying: ["completed", "failed", "pending", "cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (canTransition(from, to)) return;
  const allowed = transitions[from];
  const hint = allowed.length ? `allowed from ${from}: ${allowed.join(", ")}` : `${from} is final`;
  throw conflict(`cannot move ticket from ${from} to ${to} (${hint})`);
}

export function allowedTransitions(from: TicketStatus): readonly TicketStatus[] {
  return transitions[from];
}
