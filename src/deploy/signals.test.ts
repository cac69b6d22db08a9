import { expect, test } from "bun:test";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import type { MetricsBackend } from "../telemetry/types";
import { signals } from "./slo-gate";

test("a deploy's golden signals come from the service's own HTTP histogram", async () => {
  const store = new MetricStore(":memory:");
  const now = Date.UTC(2026, 0, 1);
  const base = { job: "rate-limiter", instance: "i0" };
  for (let k = 0; k <= 8; k++) {
    const t = now - (8 - k) * 15_000;
    const h = (route: string, code: string, le: string, v: number) => ({
      labels: { __name__: "ratelimiter_http_request_duration_seconds_bucket", ...base, route, code, le },
      t,
      v,
    });
    const c = (route: string, code: string, v: number) => ({
      labels: { __name__: "ratelimiter_http_request_duration_seconds_count", ...base, route, code },
      t,
      v,
    });
    // 10 checks a second, all answered within 1 ms; 1 a second of /json failing with a 500.
    store.append([
      h("/v1/check", "200", "0.001", 150 * k),
      h("/v1/check", "200", "+Inf", 150 * k),
      c("/v1/check", "200", 150 * k),
      c("/json", "500", 15 * k),
    ]);
  }
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (e, t) => instantQuery(store, e, t),
    rangeQuery: async (e, s, en, st) => rangeQuery(store, e, s, en, st),
  };
  const s = await signals(metrics, now);
  expect(s.request_rate).toBeCloseTo(10, 6);
  expect(s.error_ratio).toBeCloseTo(1 / 11, 6);
  expect(s.p99_seconds).toBeCloseTo(0.00099, 6);
});
