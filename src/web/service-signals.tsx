/** @jsxImportSource @kitajs/html */
import type { MetricsBackend, QueryResult } from "../telemetry/types";

/** The service's golden signals, read through the same backend as the monitor. */
export const signalQueries = {
  rate: 'sum(rate(ratelimiter_requests_total{job="rate-limiter"}[1m]))',
  denied:
    'sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[1m])) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[1m]))',
  p99: 'histogram_quantile(0.99, sum by (le) (rate(ratelimiter_http_request_duration_seconds_bucket{job="rate-limiter"}[5m])))',
} as const;

const scalar = (r: QueryResult | null | undefined): number | null => {
  if (!r) return null;
  const v = r.resultType === "vector" ? r.result[0]?.v : r.resultType === "scalar" ? r.result.v : undefined;
  return v === undefined || !Number.isFinite(v) ? null : v;
};

export async function ServiceSignals(props: { metrics: MetricsBackend | null; now: number }) {
  if (!props.metrics) return <p class="muted">No metrics backend in this process.</p>;
  const m = props.metrics;
  const [rate, denied, p99] = await Promise.all(
    [signalQueries.rate, signalQueries.denied, signalQueries.p99].map((q) =>
      m.instantQuery(q, props.now).catch(() => null),
    ),
  );
  const fmt = (v: number | null, f: (x: number) => string) => (v === null ? "—" : f(v));
  return (
    <p class="signals" id="service-signals">
      <span safe>{`requests ${fmt(scalar(rate), (x) => `${x.toFixed(1)}/s`)}`}</span> ·{" "}
      <span safe>{`denied ${fmt(scalar(denied), (x) => `${(100 * x).toFixed(1)} %`)}`}</span> ·{" "}
      <span safe>{`p99 ${fmt(scalar(p99), (x) => `${(1000 * x).toFixed(2)} ms`)}`}</span>
    </p>
  );
}
