import type { QueryLanguage } from "../rules/model";
import type { LogsBackend, MetricsBackend, QueryResult } from "../telemetry/types";

/** What the monitor observes through: PromQL over metrics and, when a logs backend is given, LogQL. */
export interface Observed {
  metrics: MetricsBackend;
  logs?: LogsBackend | null | undefined;
}

export function instantIn(
  b: Observed,
  language: QueryLanguage | undefined,
  query: string,
  timeMs: number,
): Promise<QueryResult> {
  if (language !== "logql") return b.metrics.instantQuery(query, timeMs);
  if (!b.logs) return Promise.reject(new Error("LogQL rule, but this process has no logs backend"));
  return b.logs.instantQuery(query, timeMs);
}
