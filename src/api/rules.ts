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
    })
    .get("/api/v1/anomalies", () => success(core.anomalies.list()))
    .get("/api/v1/anomalies/:id", ({ params }) => success(core.anomalies.get(idParam(params.id))))
    .post("/api/v1/anomalies", ({ body }) => success(core.anomalies.create(body ?? {}), 201))
    .put("/api/v1/anomalies/:id", ({ params, body }) =>
      success(core.anomalies.update(idParam(params.id), body ?? {})),
    )
    .delete("/api/v1/anomalies/:id", ({ params }) => {
      core.anomalies.delete(idParam(params.id));
      return success({ deleted: true });
    })
    .get("/api/v1/schedules", () => success(core.schedules.list()))
    .get("/api/v1/schedules/:id", ({ params }) => success(core.schedules.get(idParam(params.id))))
    .post("/api/v1/schedules", ({ body }) => success(core.schedules.create(body ?? {}), 201))
    .put("/api/v1/schedules/:id", ({ params, body }) =>
      success(core.schedules.update(idParam(params.id), body ?? {})),
    )
    .delete("/api/v1/schedules/:id", ({ params }) => {
      core.schedules.delete(idParam(params.id));
      return success({ deleted: true });
    });
}
