import { Elysia } from "elysia";
import type { Core } from "../core";
import type { Pipeline } from "../deploy/pipeline";
import { AppError } from "../lib/errors";
import { success } from "./envelope";
import { idParam, intParam } from "./query";

/**
 * Deploys through the API: a person (or the lab) sends a ticket's branch through the same pipeline the agent
 * uses — tests, canary, promote, watch, rollback — and follows it on the ticket and in GET /api/v1/deploys.
 */
export function deployRoutes(core: Core, pipeline: () => Pipeline | null) {
  return new Elysia()
    .get("/api/v1/deploys", ({ query }) => {
      const limit = intParam(query.limit, "limit", 50, 200);
      // Stages keep the tail of the test output, which may print a secret: the repository redacts rows.
      return success(core.deploys.list(limit));
    })
    .post("/api/v1/tickets/:id/deploy", ({ params, request }) => {
      const id = idParam(params.id, "ticket id");
      const p = pipeline();
      if (!p) throw new AppError("unavailable", "this process has no deploy pipeline (run harness up)");
      if (p.busy()) throw new AppError("conflict", "another deploy is running; deploys run one at a time");
      const ticket = core.tickets.get(id);
      const actor = request.headers.get("x-actor") ?? "api";
      core.tickets.addEvent(ticket.id, "deploy_requested", `api:${actor}`.slice(0, 64), {});
      // Minutes long (canary, watch): answer now, the outcome lands on the ticket and in /api/v1/deploys.
      void p
        .deploy(ticket.id)
        .catch((err: Error) =>
          core.tickets.addEvent(ticket.id, "deploy_failed", "pipeline", { reason: err.message }),
        );
      return success({ ticket: ticket.id, status: "started" }, 202);
    });
}
