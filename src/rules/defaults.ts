import type { Core } from "../core";
import { defaultAnomalies } from "./anomalies";
import type { InvariantInput, SloInput } from "./model";
import { defaultSchedules } from "./schedules";

/** Rules every fresh harness starts with, so the loop has something to watch before anyone configures it. */
export const defaultInvariants: InvariantInput[] = [
  {
    name: "RateLimiterDown",
    query: 'up{job="rate-limiter"} == 0',
    for: "30s",
    severity: "critical",
    description: "A rate-limiter instance does not answer its metrics scrape",
  },
  {
    name: "RateLimiterKeyHeadroomLow",
    query: 'max by (instance) (ratelimiter_key_capacity_used_ratio{job="rate-limiter"}) > 0.8',
    // A fill ratio moves slowly and does not flap; two minutes tells a full store from a burst of new keys.
    for: "2m",
    severity: "warning",
    description: "Tracked keys use more than 80% of the store's key capacity (headroom below 20%)",
  },
  {
    name: "RateLimiterConfigReloadFailing",
    // The last reload's outcome, so the ticket verifies as soon as a good config is in force again.
    query: 'ratelimiter_config_last_reload_successful{job="rate-limiter"} == 0',
    for: "0s",
    severity: "high",
    description: "The rate limiter rejected a config reload; instances keep running an older config",
  },
  {
    name: "RateLimiterStoreErrors",
    query: 'sum by (instance) (rate(ratelimiter_store_errors_total{job="rate-limiter"}[1m])) > 0',
    for: "1m",
    severity: "high",
    description:
      "The bucket store (Redis) fails or times out: checks are answered by the fail-open/closed rule, not decided",
  },
  {
    name: "RateLimiterConfigDrift",
    query: 'count(count by (hash) (ratelimiter_config_info{job="rate-limiter"})) > 1',
    for: "2m",
    severity: "high",
    description: "Instances run different configs (more than one config hash)",
  },
  {
    name: "RateLimiterMemoryHigh",
    query: 'ratelimiter_process_resident_memory_bytes{job="rate-limiter"} > 536870912',
    for: "5m",
    severity: "warning",
    description: "A rate-limiter instance uses more than 512 MiB of memory",
  },
];

/** The checks the rate limiter answers: every SLI counts `/v1/check`, the route clients depend on. */
const checks = 'ratelimiter_http_request_duration_seconds_count{job="rate-limiter",route="/v1/check"}';

/**
 * The latency SLI's threshold, a bucket boundary of the service's histogram. 25 ms rather than 10 ms: a loaded
 * two-core machine, with the load generator beside the service, answers within it; tighten it in a rule file.
 */
export const latencyThresholdSeconds = 0.025;

/**
 * SLOs every fresh harness starts with, so burn-rate alerts, the deploy budget gate and budget-spent scoring
 * work out of the box. Both guard against low traffic: an average of one check per second over the alert's
 * long window before anything fires, so an idle service whose one request failed does not page.
 */
export const defaultSlos: SloInput[] = [
  {
    name: "rate-limiter-availability",
    service: "rate-limiter",
    description: "Share of checks answered without a 5xx",
    objective: 99.9,
    window: "30d",
    sli: {
      bad: 'ratelimiter_http_request_duration_seconds_count{job="rate-limiter",route="/v1/check",code=~"5.."}',
      total: checks,
    },
    min_rate: 1,
  },
  {
    name: "rate-limiter-latency",
    service: "rate-limiter",
    description: `Share of checks answered within ${latencyThresholdSeconds * 1000} ms`,
    objective: 99,
    window: "30d",
    sli: {
      good: `ratelimiter_http_request_duration_seconds_bucket{job="rate-limiter",route="/v1/check",le="${latencyThresholdSeconds}"}`,
      total: checks,
    },
    min_rate: 1,
  },
];

/**
 * Gives a fresh harness its default rules; `docs/examples/rate-limiter-rules.yaml` is the same set as a rule
 * file (a test keeps the two equal).
 */
export function seedDefaultRules(core: Core): void {
  for (const inv of defaultInvariants) core.rules.createInvariant(inv);
  for (const slo of defaultSlos) core.rules.createSlo(slo);
  for (const a of defaultAnomalies) core.anomalies.create(a);
  for (const s of defaultSchedules) core.schedules.create(s);
}
