import { type AnyElysia, Elysia } from "elysia";
import type { Core } from "../core";
import { requireBearer } from "./auth";
import { failure, fromElysia, success } from "./envelope";
import { checkOpenReadBody, isOpenReadPost } from "./open-reads";
import { requireWellFormedPath } from "./query";
import { ruleRoutes } from "./rules";
import { ticketRoutes } from "./tickets";

export interface HealthReport {
  ok: boolean;
  roles: Record<string, string>;
}

export interface ApiDeps {
  core: Core;
  token: string;
  health: () => HealthReport;
  /** Extra route groups (dashboard, telemetry) mounted by the app. */
  plugins?: AnyElysia[];
  /** Paths under /api that authenticate themselves (e.g. webhooks with HMAC). */
  selfAuthenticated?: string[];
}

const mutating = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function createApi(deps: ApiDeps) {
  let app = new Elysia()
    .onError(({ code, error }) => failure(fromElysia(code, error)))
    .onRequest(({ request }) => {
      const path = new URL(request.url).pathname;
      try {
        requireWellFormedPath(path);
        if (!mutating.has(request.method) || !(path.startsWith("/api/") || path.startsWith("/loki/"))) return;
        if (deps.selfAuthenticated?.some((p) => path.startsWith(p))) return;
        // Prometheus/Loki reads sent as POST (promtool, Grafana) are open like their GET twins: see open-reads.ts.
        if (isOpenReadPost(request.method, path, request.headers)) return checkOpenReadBody(request.headers);
        requireBearer(request.headers.get("authorization"), deps.token);
      } catch (err) {
        return failure(err);
      }
    })
    .get("/healthz", () => {
      const h = deps.health();
      // `degraded` (a brain down, tickets on the fallback) is still 200: restarting cannot fix an upstream.
      return Response.json(h, { status: h.ok ? 200 : 503 });
    })
    .get("/api/v1/status", () => success(deps.health()))
    .use(ticketRoutes(deps.core))
    .use(ruleRoutes(deps.core));
  for (const p of deps.plugins ?? []) app = app.use(p);
  return app;
}

export type Api = ReturnType<typeof createApi>;
