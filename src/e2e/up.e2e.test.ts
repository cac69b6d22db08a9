import { afterAll, expect, test } from "bun:test";
import { startHarness, stopHarnesses } from "../testing/harness-process";
import { waitFor } from "../testing/ports";

const started: Awaited<ReturnType<typeof startHarness>>[] = [];
afterAll(() => stopHarnesses(started), 30_000);

test("harness up: a hung rate limiter is detected, ticketed, restarted by the agent and verified", async () => {
  const harness = await startHarness();
  started.push(harness);
  const { base, api } = harness;
  const created = await api<{ id: number }>("/api/v1/invariants", {
    method: "POST",
    body: { name: "RateLimiterDown", query: 'up{job="rate-limiter"} == 0', for: "0s", severity: "critical" },
  });
  expect(created.status).toBe("success");

  type Instance = { pid: number | null; state: string };
  const ready = await waitFor("rate limiter ready", async () => {
    const s = await api<Instance[]>("/api/v1/service");
    return s.data.find((i) => i.state === "ready" && i.pid) ?? null;
  });
  // Let at least one good scrape land, then hang the process so scrapes time out.
  await waitFor("up == 1", async () => {
    const r = await api<{ result: unknown[] }>(
      `/api/v1/query?query=${encodeURIComponent('up{job="rate-limiter"} == 1')}`,
    );
    return r.data.result.length > 0;
  });
  // The child's stdout reached the log store with stream labels, queryable with LogQL (Loki API shape).
  const logs = await waitFor("service logs", async () => {
    const q = encodeURIComponent('{service="rate-limiter", level="info"} |= "listening"');
    const r = (await (await fetch(`${base}/loki/api/v1/query_range?query=${q}`)).json()) as {
      data: { result: { stream: Record<string, string>; values: [string, string][] }[] };
    };
    return r.data.result[0] ?? null;
  });
  expect(logs.stream).toMatchObject({
    service: "rate-limiter",
    instance: "rate-limiter-0",
    stream: "stdout",
    level: "info",
  });
  process.kill(ready.pid as number, "SIGSTOP");

  type Ticket = { id: number; status: string; source: string; observation: { rule: string } | null };
  const ticket = await waitFor(
    "invariant ticket",
    async () => (await api<{ items: Ticket[] }>("/api/v1/tickets?source=invariant")).data.items[0],
  );
  const done = await waitFor(
    "ticket completed",
    async () => {
      const t = (await api<Ticket>(`/api/v1/tickets/${ticket.id}`)).data;
      if (t.status === "failed" || t.status === "cancelled") throw new Error(`ticket ended ${t.status}`);
      return t.status === "completed" ? t : null;
    },
    60_000,
    250,
  );
  expect(done.source).toBe("invariant");
  expect(done.observation?.rule).toBe("RateLimiterDown");
  const events = (
    await api<{ kind: string; data: Record<string, unknown> }[]>(`/api/v1/tickets/${ticket.id}/events`)
  ).data;
  const kinds = events.map((e) => e.kind);
  expect(kinds).toContain("brain_turn");
  expect(events.some((e) => e.kind === "tool_result" && e.data.name === "restart_service")).toBe(true);
  expect(events.find((e) => e.kind === "verification")?.data.result).toBe("passed");
  const after = await api<Instance[]>("/api/v1/service");
  expect(after.data[0]?.pid).not.toBe(ready.pid);

  expect(await harness.stop()).toBe(0);
  // The supervised child is gone with its parent.
  expect(() => process.kill(after.data[0]?.pid as number, 0)).toThrow();
}, 120_000);
