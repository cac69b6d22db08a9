import { expect, test } from "bun:test";
import { instantLogQuery } from "../telemetry/logs/logql-eval";
import { LogStore } from "../telemetry/logs/store";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import { testCore } from "../testing/core";
import { createMonitor } from "./monitor";

const start = Date.UTC(2026, 0, 5, 0, 0, 0);

// The real monitor over the real log store and LogQL engine; only the clock is fake.
function setup(withLogs: boolean) {
  const { core, clock } = testCore(start);
  const store = new LogStore(":memory:");
  const logs: LogsBackend = {
    kind: "embedded",
    lines: async () => [],
    instantQuery: async (q, t) => instantLogQuery(store, q, t),
  };
  const noMetrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async () => ({ resultType: "vector", result: [] }),
    rangeQuery: async () => ({ resultType: "matrix", result: [] }),
  };
  const errors: string[] = [];
  const monitor = createMonitor({
    core,
    metrics: noMetrics,
    ...(withLogs ? { logs } : {}),
    intervalMs: 15_000,
    verificationTimeoutMs: 600_000,
    maxAttempts: 2,
    log: (m, d) => errors.push(`${m} ${JSON.stringify(d)}`),
  });
  const line = (text: string) =>
    store.append([{ labels: { service: "rate-limiter", instance: "i0" }, t: clock.now(), line: text }]);
  return { core, clock, monitor, line, errors };
}

test("a LogQL invariant fires on error lines, and its ticket verifies through the logs once they stop", async () => {
  const { core, clock, monitor, line } = setup(true);
  const inv = core.rules.createInvariant({
    name: "StoreErrors",
    language: "logql",
    query: 'sum(count_over_time({service="rate-limiter"} |= "store error" [5m])) > 3',
    for: "1m",
    severity: "high",
  });
  expect(inv.language).toBe("logql");
  // 3 errors per 30 s: above 3 from the second tick on, firing once that has lasted the 1 m `for`.
  for (let i = 0; i < 4; i++) {
    for (let k = 0; k < 3; k++) line('{"level":"error","msg":"store error"}');
    line('{"level":"info","msg":"check"}');
    await monitor.tick();
    clock.advance(30_000);
  }
  const [t] = core.tickets.list().items;
  expect(t).toMatchObject({ source: "invariant", priority: "P2" });
  expect(t?.success_criteria[0]).toMatchObject({ language: "logql", comparator: "empty" });
  expect(core.observations.get(t?.observation_id as number)).toMatchObject({
    rule: "StoreErrors",
    value: 12,
  });
  const claimed = core.tickets.claimNext("agent", 60_000);
  core.tickets.transition(claimed?.id as number, "verifying", "agent", {
    leaseOwner: "agent",
    resolution: "x",
  });
  // No more errors: after the 5 m window slides past them, the criterion holds for its minute.
  for (let i = 0; i < 14; i++) {
    await monitor.tick();
    clock.advance(30_000);
  }
  expect(core.tickets.get(t?.id as number).status).toBe("completed");
});

test("without a logs backend a LogQL invariant is a rule error, not a crash", async () => {
  const { core, monitor, errors } = setup(false);
  core.rules.createInvariant({ name: "L", language: "logql", query: 'count_over_time({a="b"}[1m])' });
  await monitor.tick();
  expect(errors.join("\n")).toContain("no logs backend");
  expect(core.tickets.list().total).toBe(0);
});
