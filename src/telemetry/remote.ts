import { type Config, remoteOptions } from "../config";
import { type Clock, systemClock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { createLokiBackend } from "./loki-backend";
import type { AppendSample } from "./metrics/store";
import { createPrometheusBackend } from "./prometheus-backend";
import { lokiPushSender, remoteWriteSender } from "./ship/senders";
import { createShipper, type Shipper, type ShipperStats } from "./ship/shipper";
import type { LogLine, LogsBackend, MetricsBackend } from "./types";

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** Secret values the configured remotes use, so the redactor can keep them out of everything stored. */
export function remoteSecrets(config: Config, env: Record<string, string | undefined>): string[] {
  const t = config.telemetry;
  return [t.metrics, t.logs]
    .flatMap((s) => [s.password_env, s.bearer_token_env])
    .flatMap((name) => (name && env[name] ? [env[name] as string] : []));
}

/**
 * The remote side of telemetry, from the `telemetry` config section: query backends that replace the
 * embedded ones, and shippers that copy scraped samples (remote write) and service log lines (Loki push).
 * `clock` times the shippers' flushes and retries.
 */
export function createRemoteTelemetry(
  config: Config,
  env: Record<string, string | undefined>,
  log: Logger,
  clock: Clock = systemClock,
) {
  const { metrics: m, logs: l, queue } = config.telemetry;
  const metrics: MetricsBackend | null = m.url
    ? createPrometheusBackend(remoteOptions(m, m.url, env, "telemetry.metrics"))
    : null;
  const logs: LogsBackend | null = l.url
    ? createLokiBackend(remoteOptions(l, l.url, env, "telemetry.logs"))
    : null;
  const shipLog = (msg: string, data?: Record<string, unknown>) => log(msg, data ?? {});
  const samples: Shipper<AppendSample> | null = m.remote_write_url
    ? createShipper({
        name: "remote_write",
        send: remoteWriteSender(remoteOptions(m, m.remote_write_url, env, "telemetry.metrics")),
        clock,
        maxQueue: queue.max_samples,
        log: shipLog,
      })
    : null;
  const lines: Shipper<LogLine> | null = l.push_url
    ? createShipper({
        name: "loki_push",
        send: lokiPushSender(remoteOptions(l, l.push_url, env, "telemetry.logs")),
        clock,
        maxQueue: queue.max_lines,
        log: shipLog,
      })
    : null;
  const shippers = [samples, lines].filter((s) => s !== null);
  const label = (kind: string, query: string | undefined, push: string | undefined) =>
    [query ? `${kind} ${hostOf(query)}` : "embedded", push ? `→ ${hostOf(push)}` : ""]
      .filter(Boolean)
      .join(" ");
  return {
    metrics,
    logs,
    samples,
    lines,
    /** What the dashboard banner shows, e.g. "prometheus host:9090" or "embedded → logs.grafana.net". */
    metricsLabel: label("prometheus", m.url, m.remote_write_url),
    logsLabel: label("loki", l.url, l.push_url),
    stats: (): ShipperStats[] => shippers.map((s) => s.stats()),
    start(): void {
      for (const s of shippers) s.start();
    },
    async stop(): Promise<void> {
      await Promise.all(shippers.map((s) => s.stop()));
    },
  };
}

export type RemoteTelemetry = ReturnType<typeof createRemoteTelemetry>;
