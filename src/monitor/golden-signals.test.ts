import { describe, expect, test } from "bun:test";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import type { Labels, MetricsBackend } from "../telemetry/types";
import { testCore } from "../testing/core";
import { testTicket, upCriterion } from "../testing/tickets";
import { readGoldenSignals } from "./golden-signals";
import { verifyTicket } from "./verify";

const start = Date.UTC(2026, 0, 1);

/**
 * Ten minutes of the rate limiter's own series every 15 s: `instances` scrapes up, 20 checks a second of which
 * 2 denied, and /v1/check answering 10 a second within 1 ms, `failing` of them with a 500.
 */
function service(store: MetricStore, from: number, instances: number, failing: number) {
  for (let k = 0; k <= 40; k++) {
    const t = from + k * 15_000;
    const n = (from - start) / 15_000 + k;
    const s = (labels: Labels, v: number) => ({ labels: { job: "rate-limiter", ...labels }, t, v });
    store.append([
      ...[0, 1].map((i) => s({ __name__: "up", instance: `i${i}` }, i < instances ? 1 : 0)),
      s({ __name__: "ratelimiter_requests_total", decision: "allowed" }, 270 * n),
      s({ __name__: "ratelimiter_requests_total", decision: "denied" }, 30 * n),
      ...["0.001", "+Inf"].map((le) =>
        s(
          {
            __name__: "ratelimiter_http_request_duration_seconds_bucket",
            route: "/v1/check",
            code: "200",
            le,
          },
          150 * n,
        ),
      ),
      s(
        { __name__: "ratelimiter_http_request_duration_seconds_count", route: "/v1/check", code: "200" },
        (150 - 15 * failing) * n,
      ),
      s(
        { __name__: "ratelimiter_http_request_duration_seconds_count", route: "/v1/check", code: "500" },
        15 * failing * n,
      ),
    ]);
  }
}

function backend(store: MetricStore): MetricsBackend {
  return {
    kind: "embedded",
    instantQuery: async (e, t) => instantQuery(store, e, t),
    rangeQuery: async (e, s, en, st) => rangeQuery(store, e, s, en, st),
  };
}

describe("golden signals", () => {
  test("read the rate, errors, p99, denials and instances up from the service's own series", async () => {
    const store = new MetricStore(":memory:");
    service(store, start, 2, 1);
    const at = start + 600_000;
    const g = await readGoldenSignals(backend(store), at);
    expect(g.at).toBe(at);
    expect(g.rate).toBeCloseTo(20, 6);
    expect(g.denial_ratio).toBeCloseTo(0.1, 6);
    expect(g.error_ratio).toBeCloseTo(0.1, 6);
    expect(g.p99_s).toBeCloseTo(0.00099, 6);
    expect(g.instances_up).toBe(2);
  });

  test("a query that fails or finds nothing reads as null, never as an error", async () => {
    const throwing: MetricsBackend = {
      kind: "prometheus",
      instantQuery: () => {
        throw new Error("connection refused");
      },
      rangeQuery: async () => ({ resultType: "matrix", result: [] }),
    };
    const empty = backend(new MetricStore(":memory:"));
    for (const m of [throwing, empty])
      expect(await readGoldenSignals(m, start)).toEqual({
        rate: null,
        error_ratio: null,
        p99_s: null,
        denial_ratio: null,
        instances_up: null,
        at: start,
      });
  });

  test("the verification event carries the signals when the ticket opened and when it was verified", async () => {
    const { core, clock } = testCore(start);
    const store = new MetricStore(":memory:");
    service(store, start - 600_000, 1, 5); // the fault: one instance up, half of the checks failing
    const t = testTicket(core, {
      title: "i1 down",
      objective: "bring it up",
      success_criteria: [upCriterion],
    });
    clock.advance(600_000);
    service(store, start + 15_000, 2, 0); // fixed
    core.tickets.claimNext("w1", 60_000);
    core.tickets.transition(t.id, "verifying", "w1", { leaseOwner: "w1", resolution: "restarted" });
    const opts = { timeoutMs: 60_000, maxAttempts: 2 };
    expect(
      await verifyTicket(core, backend(store), core.ruleStates, core.tickets.get(t.id), clock.now(), opts),
    ).toBe("completed");
    const v = core.tickets.events(t.id).find((e) => e.kind === "verification")?.data ?? {};
    expect(v.result).toBe("passed");
    const before = v.golden_before as { at: number; instances_up: number; error_ratio: number };
    expect(before).toMatchObject({ at: start, instances_up: 1 });
    expect(before.error_ratio).toBeCloseTo(0.5, 6);
    expect(v.golden_after).toMatchObject({ at: start + 600_000, instances_up: 2, error_ratio: 0 });
  });
});
