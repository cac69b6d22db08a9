import { Elysia } from "elysia";
import type { Core } from "../core";
import { success } from "./envelope";
import { idParam } from "./query";

export function ruleRoutes(core: Core) {
  const { rules } = core;
  return new Elysia()
    .get("/api/v1/slos", () => success(rules.listSlos()))
    .get("/api/v1/slos/:id", ({ params }) => success(rules.getSlo(idParam(params.id))))
    .post("/api/v1/slos", ({ body }) => success(rules.createSlo(body ?? {}), 201))
    .put("/api/v1/slos/:id", ({ params, body }) => success(rules.updateSlo(idParam(params.id), body ?? {})))
    .delete("/api/v1/slos/:id", ({ params }) => {
      rules.deleteSlo(idParam(params.id));
      return success({ deleted: true });
    })
    .get("/api/v1/invariants", () => success(rules.listInvariants()))
    .get("/api/v1/invariants/:id", ({ params }) => success(rules.getInvariant(idParam(params.id))))
    .post("/api/v1/invariants", ({ body }) => success(rules.createInvariant(body ?? {}), 201))
    .put("/api/v1/invariants/:id", ({ params, body }) =>
      success(rules.updateInvariant(idParam(params.id), body ?? {})),
    )
    .delete("/api/v1/invariants/:id", ({ params }) => {
      rules.deleteInvariant(idParam(params.id));
      return success({ deleted: true });
    });
}
