import { describe, expect, test } from "bun:test";
import type { MetricsBackend } from "../../../telemetry/types";
import { testAgent } from "../../../testing/agent";
import { testCore } from "../../../testing/core";
import { testTicket } from "../../../testing/tickets";

/** A backend that answers each query with the value the test chose for it, or with no sample. */
const backend = (values: Record<string, number>): MetricsBackend => ({
  kind: "embedded",
  instantQuery: async (q, t) => {
    const hit = Object.entries(values).find(([k]) => q.includes(k));
    return { resultType: "vector", result: hit ? [{ labels: {}, t, v: hit[1] }] : [] };
  },
  rangeQuery: async () => ({ resultType: "matrix", result: [] }),
});

async function work(objective: string, metrics: MetricsBackend, title = "Check p99 after weekend") {
  const { core } = testCore();
  const t = testTicket(core, { title, objective }, "cli");
  await testAgent(core, { metrics }).runOnce("w1");
  return { core, ticket: core.tickets.get(t.id) };
}

describe("the runbook on a ticket without criteria", () => {
  test("measures what it is asked, says the value, and ends answered (never verified)", async () => {
    const { ticket } = await work(
      "Confirm p99 latency of /v1/check is under 10ms",
      backend({ ratelimiter_http_request_duration_seconds_bucket: 0.0041 }),
    );
    expect(ticket.status).toBe("answered");
    expect(ticket.resolution).toContain("p99 latency of /v1/check over 5m: 4.10 ms");
  });

  test("a query with no data is said as such; with nothing measured, a person gets the ticket", async () => {
    const { ticket } = await work("Confirm p99 latency of /v1/check is under 10ms", backend({}));
    expect(ticket.status).toBe("needs_human");
    expect(ticket.resolution).toContain("p99 latency of /v1/check over 5m: no data");
    expect(ticket.resolution).not.toMatch(/value 0|\b0 ms\b/);
  });

  test("a request it cannot measure goes to a person with the reason", async () => {
    const { ticket } = await work(
      "Renew the TLS certificate of the partner gateway",
      backend({}),
      "Certificate",
    );
    expect(ticket.status).toBe("needs_human");
    expect(ticket.resolution).toMatch(/asks for nothing the runbook can measure/);
  });

  test("every number in the answer is a value a tool returned", async () => {
    const { core, ticket } = await work(
      "How many requests per second do we serve, and what share is denied?",
      backend({ 'decision="denied"': 0.25, ratelimiter_requests_total: 40 }),
    );
    expect(ticket.status).toBe("answered");
    const results = core.tickets
      .events(ticket.id)
      .filter((e) => e.kind === "tool_result" && e.data.name === "query_metrics")
      .map((e) => JSON.parse(String(e.data.content)) as { result: { v: number }[] });
    const seen = results.flatMap((r) => r.result.map((s) => s.v));
    // Each stated value (before its unit) traces to a returned sample, in its unit.
    const stated = [...(ticket.resolution ?? "").matchAll(/: ([\d.]+) (%|\/s|ms)/g)].map((m) => {
      const n = Number(m[1]);
      return m[2] === "%" ? n / 100 : m[2] === "ms" ? n / 1000 : n;
    });
    expect(stated.length).toBeGreaterThan(0);
    for (const v of stated) expect(seen.some((s) => Math.abs(s - v) < 1e-9 + Math.abs(s) * 1e-3)).toBe(true);
  });
});
