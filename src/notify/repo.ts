import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import type { Redactor } from "../lib/redact";
import type { TicketEvent } from "../tickets/model";
import type { Channel, NotifyEvent } from "./model";
import type { SendResult } from "./send";

/** One (event, target) pair: the delivery log's row. */
export interface Delivery {
  id: number;
  ticket_id: number;
  event_id: number;
  target: string;
  channel: Channel;
  event: NotifyEvent;
  ticket_status: string;
  detail: string | null;
  status: "pending" | "sent" | "failed";
  attempts: number;
  next_at: number;
  response_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface DeliveryAttempt {
  attempt: number;
  ts: number;
  ok: boolean;
  response_code: number | null;
  error: string | null;
  duration_ms: number;
}

export type NewDelivery = Pick<
  Delivery,
  "ticket_id" | "event_id" | "target" | "channel" | "event" | "ticket_status" | "detail"
>;

export type NotificationRepo = ReturnType<typeof createNotificationRepo>;

/** The notification outbox, its cursor over ticket_events, and each delivery's attempts. */
export function createNotificationRepo(db: Database, clock: Clock, redactor: Redactor) {
  return {
    /** The last ticket event already planned. */
    cursor(): number {
      return (
        db
          .query<{ last_event_id: number }, []>("SELECT last_event_id FROM notification_cursor WHERE id = 1")
          .get()?.last_event_id ?? 0
      );
    },
    advance(lastEventId: number): void {
      db.query(
        "INSERT INTO notification_cursor (id, last_event_id) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET last_event_id = excluded.last_event_id",
      ).run(lastEventId);
    },
    /**
     * The next ticket events of `kinds` after `afterId`, in the order they were written (ids only grow: events
     * are never deleted), and the id the cursor may move to: past every event read, and past the events of
     * other kinds too once fewer than `limit` remain. Call it inside the transaction that moves the cursor.
     */
    eventsAfter(
      afterId: number,
      kinds: readonly string[],
      limit: number,
    ): { events: TicketEvent[]; through: number } {
      const events = db
        .query<Record<string, unknown>, (string | number)[]>(
          `SELECT * FROM ticket_events WHERE id > ? AND kind IN (${kinds.map(() => "?").join(",")})
           ORDER BY id LIMIT ?`,
        )
        .all(afterId, ...kinds, limit)
        .map((r) => ({ ...(r as unknown as TicketEvent), data: JSON.parse(r.data as string) }));
      const newest =
        db.query<{ id: number | null }, []>("SELECT MAX(id) AS id FROM ticket_events").get()?.id ?? afterId;
      const through = events.length === limit ? (events.at(-1) as TicketEvent).id : Math.max(afterId, newest);
      return { events, through };
    },
    /** Targets with any delivery for this ticket. */
    toldTargets(ticketId: number): Set<string> {
      return new Set(
        db
          .query<{ target: string }, [number]>(
            "SELECT DISTINCT target FROM notifications WHERE ticket_id = ?",
          )
          .all(ticketId)
          .map((r) => r.target),
      );
    },
    /** Queues a delivery, due now; a second one for the same event and target is ignored. */
    enqueue(d: NewDelivery): void {
      const now = clock.now();
      db.query(
        `INSERT OR IGNORE INTO notifications (ticket_id, event_id, target, channel, event, ticket_status, detail,
           status, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      ).run(
        d.ticket_id,
        d.event_id,
        d.target,
        d.channel,
        d.event,
        d.ticket_status,
        d.detail === null ? null : redactor.text(d.detail),
        now,
        now,
        now,
      );
    },
    /**
     * Takes up to `limit` due deliveries, each the oldest pending one of its ticket and target (a PagerDuty
     * resolve never overtakes its trigger), and moves their `next_at` to `leaseUntil`: a sender that dies
     * leaves them due again then, and another sender does not take them meanwhile.
     */
    claimDue(leaseUntil: number, limit: number): Delivery[] {
      return db
        .transaction(() =>
          db
            .query<Delivery, [number, number, number, number]>(
              `UPDATE notifications SET next_at = ?, updated_at = ?
               WHERE id IN (
                 SELECT n.id FROM notifications n
                 WHERE n.status = 'pending' AND n.next_at <= ?
                   AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.ticket_id = n.ticket_id
                     AND p.target = n.target AND p.status = 'pending' AND p.id < n.id)
                 ORDER BY n.id LIMIT ?)
               RETURNING *`,
            )
            .all(leaseUntil, clock.now(), clock.now(), limit),
        )
        .immediate();
    },
    /** Logs one attempt and moves the delivery on: sent, failed for good, or due again at `next_at`. */
    recordAttempt(
      d: Pick<Delivery, "id" | "attempts">,
      result: SendResult,
      next: { status: "sent" | "failed" } | { status: "pending"; next_at: number },
    ): void {
      const now = clock.now();
      const error = result.error === null ? null : redactor.text(result.error);
      db.transaction(() => {
        db.query(
          `INSERT INTO notification_attempts (notification_id, attempt, ts, ok, response_code, error, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(d.id, d.attempts + 1, now, result.ok ? 1 : 0, result.status, error, result.duration_ms);
        db.query(
          `UPDATE notifications SET status = ?, attempts = attempts + 1, response_code = ?, last_error = ?,
             next_at = ?, updated_at = ? WHERE id = ?`,
        ).run(next.status, result.status, error, next.status === "pending" ? next.next_at : now, now, d.id);
      }).immediate();
    },
    /** A delivery whose target is no longer configured: failed without an attempt, saying why. */
    abandon(id: number, reason: string): void {
      db.query(
        "UPDATE notifications SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
      ).run(reason, clock.now(), id);
    },
    /** The ticket's delivery log, oldest first, each delivery with its attempts. */
    forTicket(ticketId: number): (Delivery & { log: DeliveryAttempt[] })[] {
      const attempts = db.query<Omit<DeliveryAttempt, "ok"> & { ok: number }, [number]>(
        "SELECT attempt, ts, ok, response_code, error, duration_ms FROM notification_attempts WHERE notification_id = ? ORDER BY attempt",
      );
      return db
        .query<Delivery, [number]>("SELECT * FROM notifications WHERE ticket_id = ? ORDER BY id")
        .all(ticketId)
        .map((d) => ({ ...d, log: attempts.all(d.id).map((a) => ({ ...a, ok: a.ok === 1 })) }));
    },
  };
}
