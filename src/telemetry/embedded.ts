import { join } from "node:path";
import { Elysia } from "elysia";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { labelsForLine } from "./logs/labels";
import { instantLogQuery, queryLogs } from "./logs/logql-eval";
import { handleLokiRequest } from "./logs/loki-api";
import { LogStore } from "./logs/store";
import { handleImportPrometheus, handleRemoteWrite } from "./metrics/ingest";
import { createRetentionLoop } from "./metrics/retention";
import { createScraper, type Scraper, type Target } from "./metrics/scraper";
import { type AppendSample, MetricStore } from "./metrics/store";
import { promApiRoutes } from "./prom-api";
import { instantQuery, rangeQuery } from "./promql/promql";
import type { Labels, LogLine, LogsBackend, MetricsBackend } from "./types";

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
}

/** The embedded default: metrics and logs in SQLite files beside the harness database. */
export function createTelemetry(deps: TelemetryDeps) {
  const store = new MetricStore(join(deps.dataDir, "metrics.db"));
  const logs = new LogStore(join(deps.dataDir, "logs.db"));
  let scraper: Scraper | null = null;
  const retentionMs = deps.retentionMs ?? 35 * 86_400_000;
  const metricRetention = createRetentionLoop({ store, clock: deps.clock, maxAgeMs: retentionMs });
  let logRetention: ReturnType<typeof setInterval> | null = null;
  // Lines arrive one at a time from the children; write them in small batches, one transaction each.
  let buffer: { labels: Labels; t: number; line: string }[] = [];
  const flush = () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    logs.append(batch);
    deps.onLines?.(batch);
  };
  const flusher = setInterval(flush, 250);
  // Other processes (split roles) read only what this one has moved out of its head buffer: scraped and
  // pushed samples alike reach them within two seconds.
  const headFlush = setInterval(() => store.flush(), 2_000);
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (expr, t) => instantQuery(store, expr, t),
    rangeQuery: async (expr, start, end, step) => rangeQuery(store, expr, start, end, step),
  };
  /** LogQL log query, newest lines first, flattened across streams (what the agent's query_logs returns). */
  const queryLines = (q: string, startMs: number, endMs: number, limit: number): LogLine[] => {
    flush();
    const r = queryLogs(logs, q, { startMs, endMs, limit, direction: "backward" });
    return r.result
      .flatMap((s) => s.entries.map((e) => ({ t: e.t, labels: s.labels, line: e.line })))
      .sort((a, b) => b.t - a.t)
      .slice(0, limit);
  };
  const logsBackend: LogsBackend = {
    kind: "embedded",
    lines: async (q, startMs, endMs, limit) => queryLines(q, startMs, endMs, limit),
    instantQuery: async (q, t) => {
      flush();
      return instantLogQuery(logs, q, t);
    },
  };
  const lokiRoutes = new Elysia().all("/loki/api/v1/*", async ({ request }) => {
    flush();
    const res = await handleLokiRequest(request, logs, deps.clock.now(), deps.redact);
    return (
      res ??
      Response.json({ status: "error", errorType: "not_found", error: "no such Loki route" }, { status: 404 })
    );
  });
  return {
    metrics,
    logsBackend,
    store,
    logs,
    routes: promApiRoutes(store, () => deps.clock.now())
      .post("/api/v1/write", ({ request }) => handleRemoteWrite(request, store, deps.clock.now()))
      .post("/api/v1/import/prometheus", ({ request }) =>
        handleImportPrometheus(request, store, deps.clock.now()),
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
      logRetention = setInterval(
        () => logs.enforceRetention(deps.clock.now(), { maxAgeMs: retentionMs }),
        3_600_000,
      );
    },
    async stopScraping(): Promise<void> {
      await scraper?.stop();
      await metricRetention.stop();
      if (logRetention) clearInterval(logRetention);
    },
    close(): void {
      clearInterval(flusher);
      clearInterval(headFlush);
      flush();
      store.close();
      logs.close();
    },
  };
}

export type Telemetry = ReturnType<typeof createTelemetry>;
