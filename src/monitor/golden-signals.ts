import { z } from "zod";
import { sampleValue } from "../telemetry/sample-value";
import type { MetricsBackend } from "../telemetry/types";

/**
 * The rate limiter's golden signals as PromQL, in one place: the runbook answers questions with these queries
 * and the monitor snapshots them when it verifies a ticket, so both describe the service the same way.
 */
const onCheck = 'job="rate-limiter",route="/v1/check"';
export const goldenQueries = {
  /** Checks per second over 5m. */
  rate: 'sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))',
  /** Share of /v1/check answered with a 5xx over 5m. */
  error_ratio: `sum(rate(ratelimiter_http_request_duration_seconds_count{${onCheck},code=~"5.."}[5m])) / sum(rate(ratelimiter_http_request_duration_seconds_count{${onCheck}}[5m]))`,
  /** p99 latency of /v1/check over 5m, in seconds. */
  p99_s: `histogram_quantile(0.99, sum by (le) (rate(ratelimiter_http_request_duration_seconds_bucket{${onCheck}}[5m])))`,
  /** Share of checks denied over 5m. */
  denial_ratio:
    'sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[5m])) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))',
  /** Instances whose scrape succeeds. */
  instances_up: 'sum(up{job="rate-limiter"})',
} as const;

const value = z.number().nullable();
/** One snapshot; each signal is null when its query returned no sample or failed ("no data"). */
export const GoldenSignals = z
  .object({
    rate: value,
    error_ratio: value,
    p99_s: value,
    denial_ratio: value,
    instances_up: value,
    /** When the snapshot describes, Unix epoch milliseconds. */
    at: z.number(),
  })
  .strict();
export type GoldenSignals = z.infer<typeof GoldenSignals>;

/** The golden signals as of `at`. Never throws: a query that fails reads as "no data". */
export async function readGoldenSignals(metrics: MetricsBackend, at: number): Promise<GoldenSignals> {
  const one = async (q: string) => {
    try {
      return sampleValue(await metrics.instantQuery(q, at));
    } catch {
      return null;
    }
  };
  const [rate, error_ratio, p99_s, denial_ratio, instances_up] = await Promise.all([
    one(goldenQueries.rate),
    one(goldenQueries.error_ratio),
    one(goldenQueries.p99_s),
    one(goldenQueries.denial_ratio),
    one(goldenQueries.instances_up),
  ]);
  return { rate, error_ratio, p99_s, denial_ratio, instances_up, at };
}
