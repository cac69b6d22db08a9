import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { FastCounter } from "./fast-counter";
import { FastHistogram } from "./fast-histogram";

/** The service's own registry (never prom-client's global one), names under `ratelimiter_`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ratelimiter_" });
  const r = [registry];
  const metrics = {
    registry,
    // Counted on every decision: the cheap kind, rendered identically.
    requests: new FastCounter(
      "ratelimiter_requests_total",
      "Rate-limit decisions by policy and decision",
      ["policy", "decision"],
      registry,
    ),
    nearLimit: new FastCounter(
      "ratelimiter_near_limit_total",
      "Allowed decisions that left less than 20% of the bucket",
      ["policy"],
      registry,
    ),
    // Both histograms are observed on every request: the cheap kind, rendered identically.
    decisionSeconds: new FastHistogram(
      "ratelimiter_decision_duration_seconds",
      "Time to decide one check",
      [],
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registry,
    ).labels(),
    httpSeconds: new FastHistogram(
      "ratelimiter_http_request_duration_seconds",
      "HTTP requests by route and status code",
      ["route", "code"],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registry,
    ),
    trackedKeys: new Gauge({
      name: "ratelimiter_tracked_keys",
      help: "Keys with bucket state",
      registers: r,
    }),
    keyCapacity: new Gauge({
      name: "ratelimiter_key_capacity",
      help: "Maximum number of keys the store keeps",
      registers: r,
    }),
    keyCapacityUsed: new Gauge({
      name: "ratelimiter_key_capacity_used_ratio",
      help: "tracked_keys / key_capacity",
      registers: r,
    }),
    reloads: new Counter({
      name: "ratelimiter_config_reload_total",
      help: "Config reloads by result",
      labelNames: ["result"],
      registers: r,
    }),
    // As Prometheus's own prometheus_config_last_reload_successful: an alert can clear as soon as a good
    // config is in force again, instead of waiting for a failure counter's window to pass.
    lastReloadOk: new Gauge({
      name: "ratelimiter_config_last_reload_successful",
      help: "1 if the last config load or reload succeeded, 0 if it was rejected",
      registers: r,
    }),
    lastReloadSuccessTime: new Gauge({
      name: "ratelimiter_config_last_reload_success_timestamp_seconds",
      help: "When the config in force was loaded (Unix seconds)",
      registers: r,
    }),
    configInfo: new Gauge({
      name: "ratelimiter_config_info",
      help: "Hash of the loaded config",
      labelNames: ["hash"],
      registers: r,
    }),
    storeErrors: new Counter({
      name: "ratelimiter_store_errors_total",
      help: "Store failures by operation",
      labelNames: ["op"],
      registers: r,
    }),
  };
  // Export both results from the start: a counter that first appears at 1 looks like no increase to
  // increase()/rate(), so an alert on reload failures would miss the first one.
  metrics.reloads.inc({ result: "success" }, 0);
  metrics.reloads.inc({ result: "failure" }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
