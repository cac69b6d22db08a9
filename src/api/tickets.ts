import { Elysia } from "elysia";
import { z } from "zod";
import type { Core } from "../core";
import { invalid } from "../lib/errors";
import { parseOrThrow, parseSince } from "../lib/parse";
import { personAlert } from "../tickets/intake";
import { Priority, SuccessCriterion, TicketSource, TicketStatus } from "../tickets/model";
import { success } from "./envelope";
import { idParam, intParam } from "./query";

/** `since`/`until` as RFC 3339, Unix seconds or "24h"-style durations; a bad one is a 400 naming it. */
function timeRange(f: { since?: string | undefined; until?: string | undefined }, now: number) {
  try {
    return {
      ...(f.since ? { createdSince: parseSince(f.since, now, "since") } : {}),
      ...(f.until ? { createdUntil: parseSince(f.until, now, "until") } : {}),
    };
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

const ListQuery = z.object({
  status: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(",") : undefined))
    .pipe(z.array(TicketStatus).optional()),
  source: TicketSource.optional(),
  priority: Priority.optional(),
  q: z.string().max(200).optional(),
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
});

const NoteBody = z.object({ text: z.string().trim().min(1, "text must not be empty").max(10_000) });
const DecisionBody = z.object({ comment: z.string().max(2000).optional() }).default({});
const CancelBody = z.object({ reason: z.string().max(2000).optional() }).default({});
/** Sending a ticket that waits for a person back to the agent, with the person's criteria if any. */
const ReopenBody = z
  .object({
    reason: z.string().max(2000).optional(),
    success_criteria: z.array(SuccessCriterion).max(20).optional(),
  })
  .strict()
  .default({});

/** Read routes are open on loopback; mutating routes are guarded by the caller (see server.ts). */
export function ticketRoutes(core: Core) {
  const { tickets, approvals, observations } = core;
  return new Elysia()
    .get("/api/v1/tickets", ({ query }) => {
      const f = parseOrThrow(ListQuery, query, "query");
      const limit = intParam(query.limit, "limit", 50, 500);
      const offset = intParam(query.offset, "offset", 0);
      const page = tickets.list({
        ...(f.status ? { status: f.status } : {}),
        ...(f.source ? { source: f.source } : {}),
        ...(f.priority ? { priority: f.priority } : {}),
        ...(f.q ? { q: f.q } : {}),
        ...timeRange(f, core.clock.now()),
        limit,
        offset,
      });
      return success({ ...page, limit, offset });
    })
    .get("/api/v1/tickets/:id", ({ params }) => {
      const t = tickets.get(idParam(params.id));
      const observation = t.observation_id ? observations.get(t.observation_id) : null;
      // An approval's action is stored as the agent named it (the worker matches decisions on it): redact here.
      return success({
        ...t,
        observation,
        approvals: core.redactor.value(approvals.list(t.id)),
        notifications: core.notifications.forTicket(t.id),
      });
    })
    .get("/api/v1/tickets/:id/notifications", ({ params }) => {
      // The delivery log: every notification planned for the ticket, with each attempt to send it.
      const t = tickets.get(idParam(params.id));
      return success(core.notifications.forTicket(t.id));
    })
    .get("/api/v1/tickets/:id/events", ({ params, query }) =>
      success(tickets.events(idParam(params.id), intParam(query.after, "after", 0))),
    )
    .post("/api/v1/tickets", ({ body }) => {
      // People create tickets through the API: a strict schema, no source, fingerprint or links of their choosing.
      return success(core.intake.open(personAlert("api", body ?? {})), 201);
    })
    .post("/api/v1/tickets/:id/notes", ({ params, body }) => {
      const { text } = parseOrThrow(NoteBody, body, "note");
      return success(tickets.addEvent(idParam(params.id), "note", "api", { text }), 201);
    })
    .post("/api/v1/tickets/:id/cancel", ({ params, body }) => {
      const { reason } = parseOrThrow(CancelBody, body ?? {}, "cancel request");
      return success(
        tickets.transition(idParam(params.id), "cancelled", "api", {
          reason: reason ?? "cancelled by a person",
        }),
      );
    })
    .post("/api/v1/tickets/:id/reopen", ({ params, body }) => {
      const r = parseOrThrow(ReopenBody, body ?? {}, "reopen request");
      return success(
        tickets.reopen(idParam(params.id), "api", {
          ...(r.success_criteria ? { criteria: r.success_criteria } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
        }),
      );
    })
    .post("/api/v1/tickets/:id/approve", ({ params, body }) => {
      const { comment } = parseOrThrow(DecisionBody, body ?? {}, "approval");
      return success(approvals.decide(idParam(params.id), true, "api", comment));
    })
    .post("/api/v1/tickets/:id/deny", ({ params, body }) => {
      const { comment } = parseOrThrow(DecisionBody, body ?? {}, "denial");
      return success(approvals.decide(idParam(params.id), false, "api", comment));
    });
}
