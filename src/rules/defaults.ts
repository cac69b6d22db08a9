import type { InvariantInput } from "./model";

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
    for: "5m",
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
