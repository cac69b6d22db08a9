import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import { conflict } from "../lib/errors";
import { Redactor } from "../lib/redact";
import type { TicketRepo } from "./repo";

export interface Approval {
  id: number;
  ticket_id: number;
  action: string;
  reason: string;
  status: "pending" | "approved" | "denied";
  requested_at: number;
  decided_at: number | null;
  decided_by: string | null;
  comment: string | null;
}

export type ApprovalService = ReturnType<typeof createApprovalService>;

/** Approvals pause a ticket in `awaiting_approval` until a person decides; the decision is evidence. */
export function createApprovalService(
  db: Database,
  tickets: TicketRepo,
  clock: Clock,
  redactor = new Redactor(),
) {
  const pendingFor = (ticketId: number) =>
    db
      .query<Approval, [number]>(
        "SELECT * FROM approvals WHERE ticket_id = ? AND status = 'pending' ORDER BY id DESC LIMIT 1",
      )
      .get(ticketId);

  return {
    pendingFor,
    list(ticketId: number): Approval[] {
      return db
        .query<Approval, [number]>("SELECT * FROM approvals WHERE ticket_id = ? ORDER BY id")
        .all(ticketId);
    },
    request(
      ticketId: number,
      action: string,
      rawReason: string,
      actor: string,
      leaseOwner?: string,
    ): Approval {
      // The ticket page and the read API show the reason; the agent writes it, quoting what it saw.
      const reason = redactor.text(rawReason);
      return db
        .transaction(() => {
          const approval = db
            .query<Approval, [number, string, string, number]>(
              "INSERT INTO approvals (ticket_id, action, reason, status, requested_at) VALUES (?, ?, ?, 'pending', ?) RETURNING *",
            )
            .get(ticketId, action, reason, clock.now()) as Approval;
          tickets.addEvent(ticketId, "approval_requested", actor, {
            approval_id: approval.id,
            action,
            reason,
          });
          tickets.transition(ticketId, "awaiting_approval", actor, {
            reason: `approval needed: ${reason}`,
            ...(leaseOwner !== undefined ? { leaseOwner } : {}),
          });
          return approval;
        })
        .immediate();
    },
    decide(ticketId: number, approved: boolean, actor: string, comment?: string): Approval {
      return db
        .transaction(() => {
          const t = tickets.get(ticketId);
          const pending = pendingFor(ticketId);
          if (t.status !== "awaiting_approval" || !pending) {
            throw conflict(`ticket ${ticketId} is not awaiting approval (status ${t.status})`);
          }
          const status = approved ? "approved" : "denied";
          db.query(
            "UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, comment = ? WHERE id = ?",
          ).run(
            status,
            clock.now(),
            actor,
            comment === undefined ? null : redactor.text(comment),
            pending.id,
          );
          tickets.addEvent(ticketId, approved ? "approved" : "denied", actor, {
            approval_id: pending.id,
            action: pending.action,
            ...(comment ? { comment } : {}),
          });
          // Either way the agent resumes: it acts on an approval, or looks for another way after a denial.
          tickets.transition(ticketId, "pending", actor, { reason: `approval ${status}` });
          return { ...pending, status, decided_by: actor } as Approval;
        })
        .immediate();
    },
  };
}
