import { join } from "node:path";
import { Elysia } from "elysia";
import { failure } from "../api/envelope";
import type { Clock } from "../lib/clock";
import { AppError } from "../lib/errors";
import type { Logger } from "../lib/log";
import { labelsForLine } from "./logs/labels";
import type { StreamsResult } from "./logs/logql-eval";
import { handleLokiRequest } from "./logs/loki-api";
import { createLogRetentionLoop } from "./logs/retention";
import { LogStore } from "./logs/store";
import { handleImportPrometheus, handleRemoteWrite } from "./metrics/ingest";
import { createRetentionLoop } from "./metrics/retention";
import { createScraper, type Scraper, type Target } from "./metrics/scraper";
import { type AppendSample, MetricStore } from "./metrics/store";
import { promApiRoutes } from "./prom-api";
import type { RuleGroupSource } from "./prom-rules";
import type { QueryTask } from "./query-exec";
import { defaultQueryLimits, type QueryLimits } from "./query-limits";
import { QueryPool } from "./query-pool";
import type { Labels, LogLine, LogsBackend, MetricsBackend, QueryResult } from "./types";

export interface TelemetryDeps {
  dataDir: string;
  clock: Clock;
  log: Logger;
  retentionMs?: number;
  /** Copies of what the scraper stores and of the service's log lines, for shipping to a remote. */
  onSamples?: ((batch: AppendSample[]) => void) | undefined;
  onLines?: ((lines: LogLine[]) => void) | undefined;
  /**
   * Applied to every log line before it is stored or shipped (the redactor, in the app): the open Loki
   * API, the dashboard and the agent's log tools all read what is stored.
   */
  redact?: ((line: string) => string) | undefined;
  /** Limits and concurrency of queries (`query:` in harness.yaml); the defaults when unset. */
  query?: { limits: QueryLimits; maxConcurrency: number; maxQueued: number };
  /** The monitor's rules and their state for /api/v1/rules and /alerts (prom-rules.ts); both list none without. */
  rules?: RuleGroupSource | undefined;
}

/** The embedded default: metrics and logs in SQLite files beside the harness database. */
export function createTelemetry(deps: TelemetryDeps) {
  const store = new MetricStore(join(deps.dataDir, "metrics.db"));
  const logs = new LogStore(join(deps.dataDir, "logs.db"));
  let scraper: Scraper | null = null;
  const retentionMs = deps.retentionMs ?? 35 * 86_400_000;
  const metricRetention = createRetentionLoop({ store, clock: deps.clock, maxAgeMs: retentionMs });
  const logRetention = createLogRetentionLoop({
    store: logs,
    clock: deps.clock,
    intervalMs: 3_600_000,
    maxAgeMs: retentionMs,
    onError: (err) => deps.log("log retention failed", { error: String(err) }),
  });
  // Lines arrive one at a time from the children; write them in small batches, one transaction each.
  let buffer: { labels: Labels; t: number; line: string }[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    logs.append(batch);
    deps.onLines?.(batch);
  };
  const flusher = deps.clock.setInterval(flush, 250);
  // Other processes (split roles) read only what this one has moved out of its head buffer: scraped and
  // pushed samples alike reach them within two seconds.
  const headFlush = deps.clock.setInterval(() => store.flush(), 2_000);
  // Every query runs on a worker thread under the limits (query-pool.ts): whatever it is, the event loop that
  // serves /healthz, runs the monitor and renews the agent's leases keeps going.
  const queryOpts = deps.query ?? { limits: defaultQueryLimits, maxConcurrency: 4, maxQueued: 64 };
  const pool = new QueryPool({
    paths: { metrics: join(deps.dataDir, "metrics.db"), logs: join(deps.dataDir, "logs.db") },
    limits: queryOpts.limits,
    maxConcurrency: queryOpts.maxConcurrency,
    maxQueued: queryOpts.maxQueued,
    // The workers read the files: what this process still holds in memory goes there first.
    beforeRun: (task) => (task.kind.startsWith("promql") ? store.flush() : flush()),
  });
  const runQuery = (task: QueryTask, signal?: AbortSignal) => pool.run(task, signal);
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (expr, time) =>
      (await runQuery({ kind: "promql_instant", expr, time })) as QueryResult,
    rangeQuery: async (expr, start, end, step) =>
      (await runQuery({ kind: "promql_range", expr, start, end, step })) as QueryResult,
  };
  /** LogQL log query, newest lines first, flattened across streams (what the agent's query_logs returns). */
  const queryLines = async (q: string, start: number, end: number, limit: number): Promise<LogLine[]> => {
    const r = (await runQuery({
      kind: "logql_lines",
      query: q,
      start,
      end,
      limit: Math.min(limit, queryOpts.limits.logs.maxEntries),
      direction: "backward",
    })) as StreamsResult;
    return r.result
      .flatMap((s) => s.entries.map((e) => ({ t: e.t, labels: s.labels, line: e.line })))
      .sort((a, b) => b.t - a.t)
      .slice(0, limit);
  };
  const logsBackend: LogsBackend = {
    kind: "embedded",
    lines: queryLines,
    instantQuery: async (query, time) =>
      (await runQuery({ kind: "logql_instant", query, time })) as QueryResult,
  };
  const lokiRoutes = new Elysia().all(
    "/loki/api/v1/*",
    async ({ request }) => {
      flush();
      const res = await handleLokiRequest(request, logs, deps.clock.now(), deps.redact, runQuery);
      return res ?? failure(new AppError("not_found", "no such Loki route"));
    },
    // The handlers read the body themselves (a push, a query form): Elysia must not consume it first.
    { parse: "none" },
  );
  return {
    metrics,
    logsBackend,
    store,
    logs,
    pool,
    routes: promApiRoutes({ store, now: () => deps.clock.now(), runQuery, rules: deps.rules })
      // Both read the body themselves, capped (ingest.ts): Elysia must not consume it first.
      .post("/api/v1/write", ({ request }) => handleRemoteWrite(request, store, deps.clock.now()), {
        parse: "none",
      })
      .post(
        "/api/v1/import/prometheus",
        ({ request }) => handleImportPrometheus(request, store, deps.clock.now()),
        { parse: "none" },
      )
      .use(lokiRoutes),
    appendLog(labels: Labels, raw: string): void {
      const line = deps.redact ? deps.redact(raw) : raw;
      buffer.push({ labels: labelsForLine(labels, line), t: deps.clock.now(), line });
      if (buffer.length >= 500) flush();
    },
    queryLogs: queryLines,
    startScraping(targets: () => Target[], intervalMs: number, timeoutMs: number): void {
      const onSamples = deps.onSamples;
      scraper = createScraper({
        store: onSamples
          ? {
              append(batch: AppendSample[]) {
                store.append(batch);
                onSamples(batch);
              },
            }
          : store,
        fetch,
        clock: deps.clock,
        targets,
        intervalMs,
        timeoutMs: Math.min(timeoutMs, intervalMs),
      });
      scraper.start();
      metricRetention.start();
      logRetention.start();
    },
    async stopScraping(): Promise<void> {
      await scraper?.stop();
      await metricRetention.stop();
      logRetention.stop();
    },
    close(): void {
      pool.close();
      deps.clock.clearInterval(flusher);
      deps.clock.clearInterval(headFlush);
      flush();
      store.close();
      logs.close();
    },
  };
}

export type Telemetry = ReturnType<typeof createTelemetry>;
