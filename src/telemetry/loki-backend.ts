import { nsToMs } from "./logs/loki-push";
import { fromPromJson } from "./prom-format";
import { callJsonApi, type RemoteOptions } from "./remote-http";
import type { LogLine, LogsBackend } from "./types";

type LokiData =
  | { resultType: "streams"; result: { stream: Record<string, string>; values: [string, string][] }[] }
  | { resultType: "vector" | "matrix" | "scalar"; result: unknown };

const msToNsText = (ms: number) => `${Math.round(ms)}000000`;

/** Loki's HTTP query API (self-hosted Loki or Grafana Cloud Logs). */
export function createLokiBackend(opts: RemoteOptions): LogsBackend {
  return {
    kind: "loki",
    async lines(query, startMs, endMs, limit) {
      // Loki documents GET for its query endpoints; times in nanoseconds keep sub-second precision.
      const data = await callJsonApi<LokiData>(
        opts,
        "/loki/api/v1/query_range",
        {
          query,
          start: msToNsText(startMs),
          end: msToNsText(endMs),
          limit: String(limit),
          direction: "backward",
        },
        "GET",
      );
      if (data.resultType !== "streams")
        throw new Error(`"${query}" is a metric query; give a log query (a selector with optional stages)`);
      const out: LogLine[] = [];
      for (const s of data.result)
        for (const [ns, line] of s.values) out.push({ t: nsToMs(ns), labels: s.stream, line });
      return out.sort((a, b) => b.t - a.t).slice(0, limit);
    },
    async instantQuery(query, timeMs) {
      const data = await callJsonApi<LokiData>(
        opts,
        "/loki/api/v1/query",
        { query, time: msToNsText(timeMs) },
        "GET",
      );
      if (data.resultType === "streams")
        throw new Error(`"${query}" is a log query; give a metric query such as count_over_time(…[5m])`);
      return fromPromJson(data);
    },
  };
}
