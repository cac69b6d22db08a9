import type { Database } from "bun:sqlite";
import { z } from "zod";
import type { Clock } from "../lib/clock";
import { conflict, notFound } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { Redactor } from "../lib/redact";
import { attemptsUsedUp, expiredInARow } from "./attempts";
import {
  NewTicket,
  type Priority,
  priorityFromRank,
  priorityRank,
  SuccessCriterion,
  type Ticket,
  type TicketEvent,
  type TicketSource,
  type TicketStatus,
} from "./model";
import { assertTransition } from "./state-machine";

type Row = Record<string, unknown>;

export interface TicketFilter {
  status?: TicketStatus[];
  source?: TicketSource;
  priority?: Priority;
  q?: string;
  /** Created at or after / before (Unix ms). */
  createdSince?: number;
  createdUntil?: number;
  limit?: number;
  offset?: number;
}

export interface TransitionOptions {
  reason?: string;
  resolution?: string;
  /** The lease holder making the change; checked so a worker whose lease expired cannot act. */
  leaseOwner?: string;
  data?: Record<string, unknown>;
}

function toTicket(r: Row): Ticket {
  return {
    id: r.id as number,
    title: r.title as string,
    objective: r.objective as string,
    success_criteria: JSON.parse(r.success_criteria as string),
    context: JSON.parse(r.context as string),
    source: r.source as TicketSource,
    source_ref: (r.source_ref as string | null) ?? null,
    fingerprint: (r.fingerprint as string | null) ?? null,
    priority: priorityFromRank(r.priority as number),
    status: r.status as TicketStatus,
    parent_id: (r.parent_id as number | null) ?? null,
    observation_id: (r.observation_id as number | null) ?? null,
    lease_owner: (r.lease_owner as string | null) ?? null,
    lease_expires_at: (r.lease_expires_at as number | null) ?? null,
    attempts: r.attempts as number,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
    finished_at: (r.finished_at as number | null) ?? null,
    resolution: (r.resolution as string | null) ?? null,
  };
}

function toEvent(r: Row): TicketEvent {
  return { ...(r as unknown as TicketEvent), data: JSON.parse(r.data as string) };
}

export type TicketRepo = ReturnType<typeof createTicketRepo>;

export function createTicketRepo(db: Database, clock: Clock, redactor = new Redactor()) {
  const getRow = db.query<Row, [number]>("SELECT * FROM tickets WHERE id = ?");

  function get(id: number): Ticket {
    const row = getRow.get(id);
    if (!row) throw notFound(`ticket ${id} not found`);
    return toTicket(row);
  }

  function addEventTx(ticketId: number, kind: string, actor: string, data: Record<string, unknown> = {}) {
    const seq =
      (db
        .query<{ s: number }, [number]>(
          "SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM ticket_events WHERE ticket_id = ?",
        )
        .get(ticketId)?.s as number) ?? 1;
    const row = db
      .query<Row, [number, number, number, string, string, string]>(
        "INSERT INTO ticket_events (ticket_id, seq, ts, kind, actor, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
      )
      .get(ticketId, seq, clock.now(), kind, actor, JSON.stringify(redactor.value(data)));
    return toEvent(row as Row);
  }

  const tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  // Fingerprints can carry sender text (a webhook's dedup key), so they are stored redacted; lookups redact
  // the same way so they still find the ticket.
  const storedFingerprint = (f: string): string => redactor.text(f);

  return {
    get,

    /** Every text a ticket carries is redacted before it is stored: the read API and the model see these. */
    create(input: NewTicket, actor: string): Ticket {
      const parsed = parseOrThrow(NewTicket, input, "ticket");
      const t = {
        ...parsed,
        title: redactor.text(parsed.title),
        objective: redactor.text(parsed.objective),
        success_criteria: redactor.value(parsed.success_criteria),
        context: redactor.value(parsed.context),
        ...(parsed.source_ref !== undefined ? { source_ref: redactor.text(parsed.source_ref) } : {}),
        ...(parsed.fingerprint !== undefined ? { fingerprint: storedFingerprint(parsed.fingerprint) } : {}),
      };
      return tx(() => {
        if (t.parent_id !== undefined) get(t.parent_id);
        if (t.fingerprint) {
          const open = db
            .query<Row, [string]>(
              "SELECT id FROM tickets WHERE fingerprint = ? AND status NOT IN ('completed','answered','failed','cancelled')",
            )
            .get(t.fingerprint);
          if (open) throw conflict(`an open ticket (#${open.id}) already has fingerprint ${t.fingerprint}`);
        }
        const now = clock.now();
        const row = db
          .query<Row, (string | number | null)[]>(
            `INSERT INTO tickets (title, objective, success_criteria, context, source, source_ref, fingerprint,
               priority, status, parent_id, observation_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING *`,
          )
          .get(
            t.title,
            t.objective,
            JSON.stringify(t.success_criteria),
            JSON.stringify(t.context),
            t.source,
            t.source_ref ?? null,
            t.fingerprint ?? null,
            priorityRank(t.priority),
            t.parent_id ?? null,
            t.observation_id ?? null,
            now,
            now,
          ) as Row;
        const ticket = toTicket(row);
        addEventTx(ticket.id, "created", actor, { source: t.source, priority: t.priority, title: t.title });
        return ticket;
      });
    },

    findOpenByFingerprint(fingerprint: string): Ticket | null {
      const row = db
        .query<Row, [string]>(
          "SELECT * FROM tickets WHERE fingerprint = ? AND status NOT IN ('completed','answered','failed','cancelled')",
        )
        .get(storedFingerprint(fingerprint));
      return row ? toTicket(row) : null;
    },

    lastByFingerprint(fingerprint: string): Ticket | null {
      const row = db
        .query<Row, [string]>("SELECT * FROM tickets WHERE fingerprint = ? ORDER BY id DESC LIMIT 1")
        .get(storedFingerprint(fingerprint));
      return row ? toTicket(row) : null;
    },

    list(filter: TicketFilter = {}): { items: Ticket[]; total: number } {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.status?.length) {
        where.push(`status IN (${filter.status.map(() => "?").join(",")})`);
        args.push(...filter.status);
      }
      if (filter.source) {
        where.push("source = ?");
        args.push(filter.source);
      }
      if (filter.priority) {
        where.push("priority = ?");
        args.push(priorityRank(filter.priority));
      }
      if (filter.createdSince !== undefined) {
        where.push("created_at >= ?");
        args.push(filter.createdSince);
      }
      if (filter.createdUntil !== undefined) {
        where.push("created_at <= ?");
        args.push(filter.createdUntil);
      }
      if (filter.q) {
        where.push("(title LIKE ? ESCAPE '\\' OR objective LIKE ? ESCAPE '\\')");
        const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        args.push(like, like);
      }
      const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const total = (db
        .query<{ n: number }, typeof args>(`SELECT COUNT(*) AS n FROM tickets ${clause}`)
        .get(...args)?.n ?? 0) as number;
      const rows = db
        .query<Row, typeof args>(`SELECT * FROM tickets ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
        .all(...args, filter.limit ?? 50, filter.offset ?? 0);
      return { items: rows.map(toTicket), total };
    },

    events(ticketId: number, afterSeq = 0): TicketEvent[] {
      get(ticketId);
      return db
        .query<Row, [number, number]>(
          "SELECT * FROM ticket_events WHERE ticket_id = ? AND seq > ? ORDER BY seq",
        )
        .all(ticketId, afterSeq)
        .map(toEvent);
    },

    recentEvents(limit = 50): TicketEvent[] {
      return db
        .query<Row, [number]>("SELECT * FROM ticket_events ORDER BY id DESC LIMIT ?")
        .all(limit)
        .map(toEvent);
    },

    addEvent(ticketId: number, kind: string, actor: string, data: Record<string, unknown> = {}): TicketEvent {
      return tx(() => {
        get(ticketId);
        return addEventTx(ticketId, kind, actor, data);
      });
    },

    /**
     * Gives a ticket that has none its success criteria (the agent's proposal, recorded as `criteria_set`).
     * Criteria a ticket already has — the monitor's, a person's — are never replaced: weaker ones would make
     * "verified" mean less.
     */
    setCriteria(ticketId: number, criteria: SuccessCriterion[], actor: string, leaseOwner: string): Ticket {
      const parsed = parseOrThrow(z.array(SuccessCriterion).min(1).max(5), criteria, "success criteria");
      return tx(() => {
        const t = get(ticketId);
        if (t.lease_owner !== leaseOwner || t.status !== "in_progress")
          throw conflict(`ticket ${ticketId} is not being worked by ${leaseOwner}`);
        if (t.success_criteria.length > 0)
          throw conflict(
            `ticket ${ticketId} already has success criteria (from ${t.source}); they cannot be replaced`,
          );
        const stored = redactor.value(parsed);
        db.query("UPDATE tickets SET success_criteria = ?, updated_at = ? WHERE id = ?").run(
          JSON.stringify(stored),
          clock.now(),
          ticketId,
        );
        addEventTx(ticketId, "criteria_set", actor, { criteria: stored });
        return get(ticketId);
      });
    },

    /**
     * A person sends a ticket that waits for them (`needs_human`) back to the agent, with success criteria of
     * their own if they give any (a person's criteria replace the ticket's).
     */
    reopen(
      ticketId: number,
      actor: string,
      opts: { criteria?: SuccessCriterion[]; reason?: string } = {},
    ): Ticket {
      const criteria =
        opts.criteria === undefined
          ? undefined
          : parseOrThrow(z.array(SuccessCriterion).max(20), opts.criteria, "success criteria");
      return tx(() => {
        const t = get(ticketId);
        if (t.status !== "needs_human")
          throw conflict(
            `ticket ${ticketId} is ${t.status}; only a ticket waiting for a person can be sent back`,
          );
        if (criteria && criteria.length > 0) {
          const stored = redactor.value(criteria);
          db.query("UPDATE tickets SET success_criteria = ? WHERE id = ?").run(
            JSON.stringify(stored),
            ticketId,
          );
          addEventTx(ticketId, "criteria_set", actor, { criteria: stored });
        }
        return this.transition(ticketId, "pending", actor, {
          reason: opts.reason ?? "sent back to the agent by a person",
        });
      });
    },

    mergeContext(ticketId: number, patch: Record<string, unknown>): Ticket {
      return tx(() => {
        const t = get(ticketId);
        const context = redactor.value({ ...t.context, ...patch });
        db.query("UPDATE tickets SET context = ?, updated_at = ? WHERE id = ?").run(
          JSON.stringify(context),
          clock.now(),
          ticketId,
        );
        return get(ticketId);
      });
    },

    transition(id: number, to: TicketStatus, actor: string, opts: TransitionOptions = {}): Ticket {
      return tx(() => {
        const t = get(id);
        assertTransition(t.status, to);
        if (opts.leaseOwner !== undefined && t.lease_owner !== opts.leaseOwner) {
          throw conflict(`ticket ${id} is not leased by ${opts.leaseOwner}`);
        }
        const now = clock.now();
        const keepLease = to === "in_progress";
        // The resolution is the agent's own summary, often quoting the output it acted on.
        const resolution = opts.resolution === undefined ? null : redactor.text(opts.resolution);
        const final = to === "completed" || to === "failed" || to === "cancelled";
        db.query(
          `UPDATE tickets SET status = ?, updated_at = ?,
             lease_owner = CASE WHEN ? THEN lease_owner ELSE NULL END,
             lease_expires_at = CASE WHEN ? THEN lease_expires_at ELSE NULL END,
             finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
             resolution = COALESCE(?, resolution)
           WHERE id = ?`,
        ).run(to, now, keepLease ? 1 : 0, keepLease ? 1 : 0, final ? 1 : 0, now, resolution, id);
        addEventTx(id, "status_changed", actor, {
          from: t.status,
          to,
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(opts.resolution ? { resolution: opts.resolution } : {}),
          ...(opts.data ?? {}),
        });
        return get(id);
      });
    },

    /**
     * Atomically leases the most urgent pending ticket (P1 first, then oldest) to one worker. With
     * `maxAttempts`, a ticket put back by a lease expiry that did not apply the limit (see expireLeases) and
     * has used its attempts is closed as failed instead of being claimed again.
     */
    claimNext(workerId: string, leaseMs: number, opts: { maxAttempts?: number } = {}): Ticket | null {
      return tx(() => {
        const now = clock.now();
        if (opts.maxAttempts !== undefined) {
          const spent = db
            .query<Row, [number]>(
              "SELECT id, attempts FROM tickets WHERE status = 'pending' AND attempts >= ?",
            )
            .all(opts.maxAttempts);
          for (const r of spent) {
            const id = r.id as number;
            const moves = db
              .query<Row, [number]>(
                "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = 'status_changed' ORDER BY seq",
              )
              .all(id)
              .map(toEvent);
            const resolution = attemptsUsedUp(r.attempts as number, opts.maxAttempts, expiredInARow(moves));
            if (!resolution) continue;
            // The state machine has no pending → failed: the ticket passes through in_progress, unleased and
            // uncounted, so its history stays a sequence of allowed moves.
            db.query(
              "UPDATE tickets SET status = 'failed', updated_at = ?, finished_at = ?, resolution = ? WHERE id = ?",
            ).run(now, now, resolution, id);
            const reason = "attempts used up";
            addEventTx(id, "status_changed", "system", { from: "pending", to: "in_progress", reason });
            addEventTx(id, "status_changed", "system", {
              from: "in_progress",
              to: "failed",
              reason,
              resolution,
            });
          }
        }
        const row = db
          .query<Row, [string, number, number]>(
            `UPDATE tickets SET status = 'in_progress', lease_owner = ?, lease_expires_at = ?,
               attempts = attempts + 1, updated_at = ?
             WHERE id = (SELECT id FROM tickets WHERE status = 'pending' ORDER BY priority, created_at, id LIMIT 1)
               AND status = 'pending'
             RETURNING *`,
          )
          .get(workerId, now + leaseMs, now);
        if (!row) return null;
        const t = toTicket(row);
        addEventTx(t.id, "status_changed", workerId, {
          from: "pending",
          to: "in_progress",
          reason: "claimed",
          attempt: t.attempts,
          lease_expires_at: t.lease_expires_at,
        });
        return t;
      });
    },

    /**
     * Puts a leased ticket back in the queue without counting its attempt: the attempt never got to the work
     * (its brain could not answer), so it must not bring the ticket nearer to failing on `max_attempts`.
     */
    requeueUncounted(
      id: number,
      workerId: string,
      reason: string,
      data: Record<string, unknown> = {},
    ): Ticket {
      return tx(() => {
        this.transition(id, "pending", workerId, {
          leaseOwner: workerId,
          reason,
          data: { ...data, uncounted: true },
        });
        db.query("UPDATE tickets SET attempts = MAX(attempts - 1, 0) WHERE id = ?").run(id);
        return get(id);
      });
    },

    renewLease(id: number, workerId: string, leaseMs: number): boolean {
      const res = db
        .query(
          "UPDATE tickets SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'in_progress'",
        )
        .run(clock.now() + leaseMs, id, workerId);
      return res.changes === 1;
    },

    /**
     * Returns tickets whose worker stopped renewing (crashed) to the queue, with an event saying so. A crashed
     * attempt is still an attempt: with `maxAttempts`, a ticket that has used them all fails instead.
     */
    expireLeases(opts: { maxAttempts?: number } = {}): number[] {
      return tx(() => {
        const now = clock.now();
        const rows = db
          .query<Row, [number]>(
            "SELECT id, lease_owner, attempts FROM tickets WHERE status = 'in_progress' AND lease_expires_at < ?",
          )
          .all(now);
        for (const r of rows) {
          const id = r.id as number;
          const reason = `lease of ${r.lease_owner} expired`;
          const moves = db
            .query<Row, [number]>(
              "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = 'status_changed' ORDER BY seq",
            )
            .all(id)
            .map(toEvent);
          const resolution =
            opts.maxAttempts === undefined
              ? null
              : attemptsUsedUp(r.attempts as number, opts.maxAttempts, expiredInARow(moves) + 1);
          const to = resolution ? "failed" : "pending";
          db.query(
            `UPDATE tickets SET status = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
               finished_at = CASE WHEN ? THEN ? ELSE finished_at END, resolution = COALESCE(?, resolution)
             WHERE id = ?`,
          ).run(to, now, resolution ? 1 : 0, now, resolution, id);
          addEventTx(id, "status_changed", "system", {
            from: "in_progress",
            to,
            reason,
            lease_expired: true,
            ...(resolution ? { resolution } : {}),
          });
        }
        return rows.map((r) => r.id as number);
      });
    },

    /** One page of ticket ids created in [since, until], after `afterId` in id order: exports walk these. */
    idsCreated(afterId: number, since: number, until: number, limit: number): number[] {
      return db
        .query<{ id: number }, [number, number, number, number]>(
          "SELECT id FROM tickets WHERE id > ? AND created_at >= ? AND created_at <= ? ORDER BY id LIMIT ?",
        )
        .all(afterId, since, until, limit)
        .map((r) => r.id);
    },

    countByStatus(): Record<string, number> {
      const out: Record<string, number> = {};
      for (const r of db
        .query<{ status: string; n: number }, []>("SELECT status, COUNT(*) AS n FROM tickets GROUP BY status")
        .all())
        out[r.status] = r.n;
      return out;
    },
  };
}
