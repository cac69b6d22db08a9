import { Elysia } from "elysia";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Core } from "../core";
import { ticketStatuses } from "../tickets/model";

/** The harness's own /metrics, scraped like any target, so rules can watch the harness too. */
export function selfMetricsRoutes(core: Core, roles: () => Record<string, string>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "harness_" });
  new Gauge({
    name: "harness_tickets",
    help: "Tickets by status",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      const counts = core.tickets.countByStatus();
      for (const s of ticketStatuses) this.set({ status: s }, counts[s] ?? 0);
    },
  });
  new Gauge({
    name: "harness_role_up",
    help: "1 when the role runs in this process",
    labelNames: ["role"],
    registers: [registry],
    collect() {
      for (const [role, state] of Object.entries(roles())) this.set({ role }, state === "running" ? 1 : 0);
    },
  });
  return new Elysia().get(
    "/metrics",
    async () => new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } }),
  );
}
