import { Elysia } from "elysia";
import type { Core } from "../core";
import { evaluateSlo } from "../slo/evaluate";
import type { MetricsBackend } from "../telemetry/types";
import { success } from "./envelope";
import { idParam } from "./query";

/** Budget, remaining budget, burn rate per window and time to exhaustion, computed on request. */
export function sloStatusRoutes(core: Core, metrics: MetricsBackend) {
  return new Elysia().get("/api/v1/slos/:id/status", async ({ params }) => {
    const slo = core.rules.getSlo(idParam(params.id));
    const ev = await evaluateSlo(metrics, slo, core.clock.now());
    return success({
      slo: { id: slo.id, name: slo.name, objective: slo.objective, window: slo.window },
      error_budget: ev.status.budget,
      error_ratio: ev.status.error_ratio,
      budget_remaining: ev.status.remaining,
      time_to_exhaustion_seconds: ev.status.exhaustion_ms === null ? null : ev.status.exhaustion_ms / 1000,
      burn_rates: ev.windows.map((w) => ({
        long_window_seconds: w.window.long_ms / 1000,
        short_window_seconds: w.window.short_ms / 1000,
        factor: w.window.factor,
        priority: w.window.priority,
        long: w.long,
        short: w.short,
        firing: w.firing,
      })),
      errors: ev.errors,
    });
  });
}
