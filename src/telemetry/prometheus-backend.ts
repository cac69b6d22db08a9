import { fromPromJson } from "./prom-format";
import { callJsonApi, type RemoteOptions } from "./remote-http";
import type { MetricsBackend, QueryResult } from "./types";

export type PrometheusBackendOptions = RemoteOptions;

/** Any Prometheus-compatible query API (Prometheus, Grafana Cloud, Mimir, VictoriaMetrics) over HTTP. */
export function createPrometheusBackend(opts: PrometheusBackendOptions): MetricsBackend {
  const call = async (path: string, params: Record<string, string>): Promise<QueryResult> =>
    fromPromJson(await callJsonApi<{ resultType: string; result: unknown }>(opts, path, params));
  return {
    kind: "prometheus",
    instantQuery: (expr, timeMs) => call("/api/v1/query", { query: expr, time: String(timeMs / 1000) }),
    rangeQuery: (expr, startMs, endMs, stepMs) =>
      call("/api/v1/query_range", {
        query: expr,
        start: String(startMs / 1000),
        end: String(endMs / 1000),
        step: String(stepMs / 1000),
      }),
  };
}
