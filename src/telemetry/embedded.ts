import { join } from "node:path";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { queryLogs } from "./lite/logql";
import { LineStore } from "./lite/logs";
import { instantQuery, rangeQuery } from "./lite/promql";
import { createScraper, type Target } from "./lite/scraper";
import { MetricStore } from "./lite/store";
import { lokiApiRoutes } from "./loki-api";
import { promApiRoutes } from "./prom-api";
import type { Labels, MetricsBackend } from "./types";

export interface TelemetryDeps {
  dataDir: string;
  clock: Clock;
  log: Logger;
  retentionMs?: number;
}

/** A JSON line's string `level` becomes a stream label, so `{level="error"}` selects errors. */
function withLevel(labels: Labels, line: string): Labels {
  if (!line.startsWith("{")) return labels;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === "string" ? { ...labels, level } : labels;
  } catch {
    return labels;
  }
}

/** The embedded default: metrics and logs in SQLite files beside the harness database. */
export function createTelemetry(deps: TelemetryDeps) {
  const store = new MetricStore(join(deps.dataDir, "metrics.db"));
  const lines = new LineStore(join(deps.dataDir, "logs.db"));
  const scraper = createScraper({ store, clock: deps.clock });
  const retentionMs = deps.retentionMs ?? 35 * 86_400_000;
  let retention: ReturnType<typeof setInterval> | null = null;
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (expr, t) => instantQuery(store, expr, t),
    rangeQuery: async (expr, start, end, step) => rangeQuery(store, expr, start, end, step),
  };
  return {
    metrics,
    store,
    lines,
    routes: promApiRoutes(store, () => deps.clock.now()).use(lokiApiRoutes(lines, () => deps.clock.now())),
    appendLog(labels: Labels, line: string): void {
      lines.append(withLevel(labels, line), line, deps.clock.now());
    },
    queryLogs: (q: string, startMs: number, endMs: number, limit: number) =>
      queryLogs(lines, q, startMs, endMs, limit),
    startScraping(targets: () => Target[], intervalMs: number, timeoutMs: number): void {
      scraper.start(targets, intervalMs, timeoutMs);
      retention = setInterval(() => store.enforceRetention(deps.clock.now(), retentionMs), 3_600_000);
    },
    stopScraping(): void {
      scraper.stop();
      if (retention) clearInterval(retention);
    },
    close(): void {
      store.close();
      lines.close();
    },
  };
}

export type Telemetry = ReturnType<typeof createTelemetry>;
