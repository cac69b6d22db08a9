import { afterAll, describe, expect, test } from "bun:test";
import { createMonitor } from "../monitor/monitor";
import { testCore } from "../testing/core";
import { apiFixture } from "./api-fixture";
import type { AppendSample } from "./metrics/store";
import { type PromAlert, type PromRuleGroup, promRuleGroups } from "./prom-rules";

// The monitor evaluates real rules over the real embedded telemetry; /api/v1/rules and /alerts then show what it
// stored, in Prometheus's shapes.
const now = Date.UTC(2026, 5, 1, 12, 0, 0);
const { core } = testCore(now);
const fixture = apiFixture(
  now,
  promRuleGroups({ core, metrics: () => fixture.telemetry.metrics, intervalMs: 15_000 }),
);
afterAll(() => fixture.close());

core.rules.createInvariant({ name: "AnyUp", query: "up == 1", severity: "critical" });
core.rules.createInvariant({ name: "UpLong", query: 'up{instance="a"} == 1', for: "1h" });
core.rules.createInvariant({ name: "Broken", query: "rate(up[5m]" });
core.rules.createInvariant({ name: "Disabled", query: "up == 1", enabled: false });
core.rules.createInvariant({
  name: "LogsOnly",
  query: 'count_over_time({app="api"}[5m]) > 0',
  language: "logql",
});
core.rules.createSlo({
  name: "availability",
  service: "checkout",
  objective: 99,
  sli: { bad: 'slo_requests_total{code="500"}', total: "slo_requests_total" },
});

// 8 hours of 600 good requests a minute; 400 errors a minute over the last 20 minutes only. Error ratios: 40 % over
// 5 m, 18 % over 1 h (burn 18 > 14.4), 3.6 % over 6 h (3.6 < 6), 2.7 % over the whole 8 h (what 1 d and 3 d see:
// below 3, above 1). So the 1h/5m and 3d/6h alerts fire, the 6h/30m and 1d/2h ones do not.
const slo: AppendSample[] = [];
for (let m = 0; m <= 480; m++) {
  const at = now - (480 - m) * 60_000;
  slo.push({ labels: { __name__: "slo_requests_total", code: "200" }, t: at, v: m * 600 });
  slo.push({ labels: { __name__: "slo_requests_total", code: "500" }, t: at, v: Math.max(0, m - 460) * 400 });
}
fixture.telemetry.store.append(slo);

async function get(path: string) {
  const res = await fixture.handle(new Request(`http://localhost${path}`));
  return {
    status: res.status,
    body: (await res.json()) as { status: string; data: unknown; errorType?: string },
  };
}
const groupsOf = async (path = "/api/v1/rules") =>
  ((await get(path)).body.data as { groups: PromRuleGroup[] }).groups;
const rule = (groups: PromRuleGroup[], name: string) =>
  groups.flatMap((g) => g.rules).find((r) => r.name === name);

describe("/api/v1/rules and /api/v1/alerts show the monitor's rules", () => {
  test("before any evaluation: every rule listed, health unknown, nothing active", async () => {
    const groups = await groupsOf();
    expect(groups.map((g) => g.name)).toEqual(["harness-slo-availability-alerts", "harness-invariants"]);
    expect(groups[1]?.rules.map((r) => r.name)).toEqual(["AnyUp", "UpLong", "Broken"]);
    for (const r of groups.flatMap((g) => g.rules)) {
      expect(r).toMatchObject({ type: "alerting", health: "unknown", state: "inactive", alerts: [] });
      expect(r.lastEvaluation).toBe("0001-01-01T00:00:00Z");
    }
    expect((await get("/api/v1/alerts")).body.data).toEqual({ alerts: [] });
  });

  test("after a tick: states, per-series alerts, errors and burn windows as the monitor saw them", async () => {
    const monitor = createMonitor({
      core,
      metrics: fixture.telemetry.metrics,
      logs: fixture.telemetry.logsBackend,
      intervalMs: 15_000,
      verificationTimeoutMs: 600_000,
      maxAttempts: 2,
      log: () => {},
    });
    await monitor.tick();
    const groups = await groupsOf();
    const at = new Date(now).toISOString();
    expect(groups[1]).toMatchObject({
      name: "harness-invariants",
      file: "harness",
      interval: 15,
      lastEvaluation: at,
    });

    const anyUp = rule(groups, "AnyUp");
    expect(anyUp).toMatchObject({
      state: "firing",
      health: "ok",
      lastError: "",
      query: "up == 1",
      duration: 0,
    });
    expect(anyUp?.labels).toEqual({ severity: "critical" });
    expect(
      anyUp?.alerts.map((a) => a.labels).sort((x, y) => (x.instance ?? "").localeCompare(y.instance ?? "")),
    ).toEqual([
      { alertname: "AnyUp", instance: "a", job: "svc", severity: "critical" },
      { alertname: "AnyUp", instance: "b", job: "svc", severity: "critical" },
    ]);
    expect(anyUp?.alerts.every((a) => a.state === "firing" && a.activeAt === at)).toBe(true);

    const upLong = rule(groups, "UpLong");
    expect(upLong).toMatchObject({ state: "pending", duration: 3600 });
    expect(upLong?.alerts).toEqual([
      {
        labels: { alertname: "UpLong", instance: "a", job: "svc", severity: "warning" },
        annotations: { summary: "invariant UpLong violated" },
        state: "pending",
        activeAt: at,
      },
    ]);

    const broken = rule(groups, "Broken");
    expect(broken).toMatchObject({ health: "err", state: "inactive", lastEvaluation: at });
    expect(broken?.lastError).toMatch(/parse error/);

    const burn = groups[0]?.rules ?? [];
    expect(burn.map((r) => [r.name, r.state, r.health])).toEqual([
      ["availability_burn_1h_5m", "firing", "ok"],
      ["availability_burn_6h_30m", "inactive", "ok"],
      ["availability_burn_1d_2h", "inactive", "ok"],
      ["availability_burn_3d_6h", "firing", "ok"],
    ]);
    expect(burn[0]?.labels).toEqual({
      slo: "availability",
      service: "checkout",
      severity: "page",
      priority: "P1",
    });
    expect(burn[0]?.query).toContain('sum(increase(slo_requests_total{code="500"}[1h]))');
    expect(burn[0]?.query).toMatch(/> \(14\.4 \* 0\.01\d*\) and \(/);
    // The alert's value is the long window's error ratio (8000 errors of 44000 requests over 1 h).
    expect(Number(burn[0]?.alerts[0]?.value)).toBeCloseTo(8000 / 44000, 2);
    expect(burn[0]?.alerts[0]?.activeAt).toBeUndefined();

    // The burn query as shown is what the monitor decides: run through the same API it returns the firing window.
    const q = await get(`/api/v1/query?query=${encodeURIComponent(burn[0]?.query ?? "")}&time=${now / 1000}`);
    expect((q.body.data as { result: unknown[] }).result).toHaveLength(1);

    const alerts = ((await get("/api/v1/alerts")).body.data as { alerts: PromAlert[] }).alerts;
    expect(alerts.map((a) => `${a.labels.alertname}:${a.state}`).sort()).toEqual([
      "AnyUp:firing",
      "AnyUp:firing",
      "UpLong:pending",
      "availability_burn_1h_5m:firing",
      "availability_burn_3d_6h:firing",
    ]);
  });

  test("type=record lists the groups without rules (Harness records nothing); a bad type is bad_data", async () => {
    const groups = await groupsOf("/api/v1/rules?type=record");
    expect(groups.map((g) => g.rules.length)).toEqual([0, 0]);
    expect((await groupsOf("/api/v1/rules?type=alert")).flatMap((g) => g.rules)).toHaveLength(7);
    const bad = await get("/api/v1/rules?type=recording");
    expect(bad.status).toBe(400);
    expect(bad.body.errorType).toBe("bad_data");
  });
});
