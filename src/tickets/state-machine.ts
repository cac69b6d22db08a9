import { conflict } from "../lib/errors";
import type { TicketStatus } from "./model";

// Who may move a ticket where. Completion only comes from verification (the monitor), never from the agent;
// an agent without a fix to verify ends `answered` (findings) or hands the ticket to a person (`needs_human`).
const transitions: Record<TicketStatus, readonly TicketStatus[]> = {
  pending: ["in_progress", "cancelled"],
  in_progress: [
    "pending",
    "awaiting_approval",
    "needs_human",
    "verifying",
    "answered",
    "failed",
    "cancelled",
  ],
  awaiting_approval: ["pending", "cancelled", "failed"],
  // A person sends it back to the agent (with criteria, say) or closes it.
  needs_human: ["pending", "cancelled"],
  verifying: ["completed", "needs_human", "failed", "pending", "cancelled"],
  completed: [],
  answered: [],
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
