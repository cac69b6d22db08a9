import { Elysia } from "elysia";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Core } from "../core";
import { ticketStatuses } from "../tickets/model";
import type { QueryPoolStats } from "./query-pool";
import type { ShipperStats } from "./ship/shipper";

/** The harness's own /metrics, scraped like any target, so rules can watch the harness too. */
export function selfMetricsRoutes(
  core: Core,
  roles: () => Record<string, string>,
  shipping: () => ShipperStats[] = () => [],
  queries: () => QueryPoolStats | null = () => null,
  brain: () => { name: string; status: "unknown" | "up" | "down" } | null = () => null,
) {
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
  new Gauge({
    name: "harness_brain_up",
    help: "1 when the configured brain answered its last probe, 0 while it is down (absent until it is probed)",
    labelNames: ["brain"],
    registers: [registry],
    collect() {
      this.reset();
      const b = brain();
      if (b && b.status !== "unknown") this.set({ brain: b.name }, b.status === "up" ? 1 : 0);
    },
  });
  // Shippers keep running totals; the counter advances by what changed since the last scrape.
  const seen = new Map<string, number>();
  new Counter({
    name: "harness_ship_items_total",
    help: "Samples (remote_write) and log lines (loki_push) sent to the remote or dropped",
    labelNames: ["shipper", "result"],
    registers: [registry],
    collect() {
      for (const s of shipping())
        for (const result of ["sent", "dropped"] as const) {
          const key = `${s.name} ${result}`;
          const delta = s[result] - (seen.get(key) ?? 0);
          seen.set(key, s[result]);
          this.inc({ shipper: s.name, result }, delta);
        }
    },
  });
  new Gauge({
    name: "harness_ship_queue_items",
    help: "Items waiting to be shipped",
    labelNames: ["shipper"],
    registers: [registry],
    collect() {
      for (const s of shipping()) this.set({ shipper: s.name }, s.queued);
    },
  });
  new Gauge({
    name: "harness_queries",
    help: "Queries on worker threads now: running, or waiting in the queue",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const q = queries();
      if (!q) return;
      this.set({ state: "running" }, q.running);
      this.set({ state: "queued" }, q.queued);
    },
  });
  const seenQueries = new Map<string, number>();
  new Counter({
    name: "harness_queries_total",
    help: "Queries answered, by outcome (ok, or the error type: invalid, execution, timeout, canceled, unavailable)",
    labelNames: ["outcome"],
    registers: [registry],
    collect() {
      for (const [outcome, n] of Object.entries(queries()?.outcomes ?? {})) {
        this.inc({ outcome }, (n ?? 0) - (seenQueries.get(outcome) ?? 0));
        seenQueries.set(outcome, n ?? 0);
      }
    },
  });
  return new Elysia().get(
    "/metrics",
    async () => new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } }),
  );
}
