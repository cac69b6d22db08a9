import { afterAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleLokiRequest, inlineLogQueries } from "../../telemetry/logs/loki-api";
import { LogStore } from "../../telemetry/logs/store";
import { createLokiBackend } from "../../telemetry/loki-backend";
import type { LogsBackend, MetricsBackend } from "../../telemetry/types";
import { testCore } from "../../testing/core";
import { testTicket } from "../../testing/tickets";
import type { ToolContext } from "../types";
import { tools } from "./registry";

// query_logs through the Loki HTTP client, against a server speaking Loki's API over a real store.
const dir = mkdtempSync(join(tmpdir(), "harness-qlogs-"));
const store = new LogStore(join(dir, "logs.db"));
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: async (req) =>
    (await handleLokiRequest(req, store, Date.now(), undefined, inlineLogQueries(store))) ??
    new Response("", { status: 404 }),
});
afterAll(() => {
  server.stop(true);
  store.close();
});

async function run(logs: LogsBackend, input: Record<string, unknown>) {
  const { core } = testCore();
  const ticket = testTicket(core, { title: "errors", objective: "find them", priority: "P3" }, "monitor");
  const ctx: ToolContext = {
    core,
    ticket,
    metrics: {} as MetricsBackend,
    supervisor: null,
    workspaceDir: null,
    workerId: "w",
    logs,
  };
  const tool = tools.find((t) => t.name === "query_logs");
  if (!tool) throw new Error("query_logs missing");
  return { result: await tool.run(tool.input.parse(input), ctx), now: core.clock.now() };
}

test("query_logs answers newest first, within `since`, through the Loki HTTP client", async () => {
  const now = testCore().core.clock.now();
  store.append([
    { labels: { service: "rate-limiter", level: "error" }, t: now - 7_200_000, line: "old error" },
    { labels: { service: "rate-limiter", level: "error" }, t: now - 60_000, line: "store error a" },
    { labels: { service: "rate-limiter", level: "info" }, t: now - 30_000, line: "listening" },
    { labels: { service: "rate-limiter", level: "error" }, t: now - 10_000, line: "store error b" },
  ]);
  const loki = createLokiBackend({ url: `http://127.0.0.1:${server.port}` });
  const { result } = await run(loki, { query: '{service="rate-limiter", level="error"}', since: "1h" });
  expect(result.isError).toBeFalsy();
  const lines = result.output as { at: string; labels: Record<string, string>; line: string }[];
  expect(lines.map((l) => l.line)).toEqual(["store error b", "store error a"]);
  expect(lines[0]?.labels.level).toBe("error");
  const limited = await run(loki, { query: '{service="rate-limiter"}', since: "3h", limit: 1 });
  expect((limited.result.output as unknown[]).length).toBe(1);
  // The worker records a thrown tool error as an error result; the message is Loki's own.
  await expect(run(loki, { query: '{service="rate-limiter"' })).rejects.toThrow(/parse error/);
});
