import { describe, expect, test } from "bun:test";
import { instantLogQuery } from "../telemetry/logs/logql-eval";
import { LogStore } from "../telemetry/logs/store";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import { testCore } from "../testing/core";
import { dashboardClient } from "../testing/dashboard";
import { testTicket } from "../testing/tickets";
import { dashboardRoutes } from "./routes";
import { createSessions } from "./session";

const TOKEN = "dashboard-token-0123456789";

// The real dashboard over the real embedded stores; requests go through Elysia in process.
function setup() {
  const { core, clock } = testCore();
  const store = new MetricStore(":memory:");
  const logs = new LogStore(":memory:");
  const app = dashboardRoutes({
    core,
    banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
    instances: () => [],
    sessions: createSessions(TOKEN, () => clock.now()),
    metrics: {
      kind: "embedded",
      instantQuery: async (e, t) => instantQuery(store, e, t),
      rangeQuery: async (e, a, b, st) => rangeQuery(store, e, a, b, st),
    },
    logs: {
      kind: "embedded",
      lines: async (q, s, e, limit) => {
        const { queryLogs } = await import("../telemetry/logs/logql-eval");
        return queryLogs(logs, q, { startMs: s, endMs: e, limit, direction: "backward" })
          .result.flatMap((st) => st.entries.map((x) => ({ t: x.t, labels: st.labels, line: x.line })))
          .sort((a, b) => b.t - a.t);
      },
      instantQuery: async (q, t) => instantLogQuery(logs, q, t),
    },
  });
  const client = dashboardClient(app, TOKEN);
  const req = client.req;
  const login = () => client.login("/slos");
  return { core, clock, store, logs, req, login };
}

describe("rule pages", () => {
  test("an SLO is edited through its form, keeping the fields the form shows", async () => {
    const { core, req, login } = setup();
    const csrf = await login();
    const s = core.rules.createSlo({
      name: "avail",
      objective: 99.9,
      sli: { bad: "e_total", total: "r_total" },
    });
    const edit = await req("GET", `/slos/${s.id}/edit`);
    expect(edit.text).toContain('id="edit-slo"');
    expect(edit.text).toContain('value="99.9"');
    const saved = await req("POST", `/slos/${s.id}`, {
      _csrf: csrf,
      name: "avail",
      objective: "99.5",
      window: "7d",
      bad: "e_total",
      good: "",
      total: "r_total",
      description: "checkout",
    });
    expect([saved.status, saved.location]).toEqual([303, "/slos"]);
    expect(core.rules.getSlo(s.id)).toMatchObject({ objective: 99.5, window: "7d", description: "checkout" });
    const bad = await req("POST", `/slos/${s.id}`, {
      _csrf: csrf,
      name: "avail",
      objective: "120",
      total: "r_total",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id="error-objective"');
    expect(core.rules.getSlo(s.id).objective).toBe(99.5);
  });

  test("anomaly detectors and schedules are created, toggled and deleted from their pages", async () => {
    const { core, req, login } = setup();
    const csrf = await login();
    const created = await req("POST", "/anomalies", {
      _csrf: csrf,
      name: "rate",
      query: "sum(rate(r_total[5m]))",
      method: "zscore",
      sensitivity: "3",
      window: "2h",
      min_history: "30m",
      cooldown: "15m",
      severity: "high",
      description: "",
    });
    expect(created.status).toBe(303);
    const [a] = core.anomalies.list();
    expect(a).toMatchObject({ method: "zscore", sensitivity: 3, window: "2h", severity: "high" });
    await req("POST", `/anomalies/${a?.id}/toggle`, { _csrf: csrf });
    expect(core.anomalies.get(a?.id as number).enabled).toBe(false);
    const sched = await req("POST", "/schedules", {
      _csrf: csrf,
      name: "weekly",
      cron: "0 9 * * 1",
      title: "Weekly review",
      objective: "Compare p99 week over week",
      priority: "P3",
    });
    expect(sched.status).toBe(303);
    const badCron = await req("POST", "/schedules", {
      _csrf: csrf,
      name: "x",
      cron: "every day",
      title: "t",
      objective: "o",
    });
    expect(badCron.status).toBe(400);
    expect(badCron.text).toContain('id="error-cron"');
    const [s] = core.schedules.list();
    await req("POST", `/schedules/${s?.id}/delete`, { _csrf: csrf });
    expect(core.schedules.list()).toEqual([]);
    // Without the CSRF token nothing changes.
    expect((await req("POST", `/anomalies/${a?.id}/delete`, {})).status).toBe(403);
    expect(core.anomalies.list().length).toBe(1);
  });

  test("evaluate now shows what an invariant sees, as an htmx fragment or a page, without opening a ticket", async () => {
    const { core, clock, store, req } = setup();
    store.append([
      { labels: { __name__: "up", instance: "a" }, t: clock.now() - 5_000, v: 0 },
      { labels: { __name__: "up", instance: "b" }, t: clock.now() - 5_000, v: 1 },
    ]);
    const inv = core.rules.createInvariant({ name: "Down", query: "up == 0" });
    const fragment = await req("GET", `/invariants/${inv.id}/evaluate`, undefined, { "hx-request": "true" });
    expect(fragment.text).toContain("Violating: 1 series");
    expect(fragment.text).toContain("&quot;instance&quot;:&quot;a&quot;");
    expect(fragment.text).not.toContain("<html");
    const page = await req("GET", `/invariants/${inv.id}/evaluate`);
    expect(page.text).toContain("<html");
    const list = await req("GET", "/invariants");
    expect(list.text).toContain(`hx-get="/invariants/${inv.id}/evaluate"`);
    const passing = core.rules.createInvariant({ name: "Fine", query: "up > 5" });
    expect(
      (await req("GET", `/invariants/${passing.id}/evaluate`, undefined, { "hx-request": "1" })).text,
    ).toContain("Passing");
    const broken = core.rules.createInvariant({ name: "Broken", query: "sum(" });
    expect((await req("GET", `/invariants/${broken.id}/evaluate`)).text).toContain("evaluation failed");
    const sched = core.schedules.create({ name: "daily", cron: "0 6 * * *", title: "t", objective: "o" });
    expect((await req("GET", `/schedules/${sched.id}/evaluate`)).text).toContain("Next runs");
    expect(core.tickets.list().total).toBe(0);
  });

  test("explore answers LogQL with matching lines, and metric queries with their value", async () => {
    const { clock, logs, req } = setup();
    logs.append([
      {
        labels: { service: "rate-limiter", instance: "i0" },
        t: clock.now() - 60_000,
        line: "store error: timeout",
      },
      {
        labels: { service: "rate-limiter", instance: "i0" },
        t: clock.now() - 30_000,
        line: "<b>listening</b>",
      },
    ]);
    const q = encodeURIComponent('{service="rate-limiter"}');
    const page = await req("GET", `/explore?logql=${q}&log_range=1h`);
    expect(page.text).toContain("store error: timeout");
    expect(page.text).toContain("&lt;b&gt;listening&lt;/b&gt;");
    expect(page.text.indexOf("listening")).toBeLessThan(page.text.indexOf("store error"));
    const metric = encodeURIComponent('count_over_time({service="rate-limiter"} |= "error" [1h])');
    expect((await req("GET", `/explore?logql=${metric}`)).text).toContain("<td>1</td>");
    expect((await req("GET", `/explore?logql=${encodeURIComponent("{")}`)).text).toContain('class="error"');
  });

  test("a ticket page charts its observation's query around the firing time", async () => {
    const { core, clock, store, req } = setup();
    for (let i = 60; i >= 0; i--)
      store.append([
        { labels: { __name__: "queue_length" }, t: clock.now() - i * 60_000, v: i < 10 ? 50 : 5 },
      ]);
    const t = core.intake.open({
      actor: "monitor",
      observation: {
        rule_kind: "invariant",
        rule: "QueueTooLong",
        query: "queue_length > 10",
        value: 50,
        labels: {},
        data: {},
        observed_at: clock.now() - 9 * 60_000,
      },
      ticket: { title: "Queue too long", objective: "shorten it", source: "invariant" },
    });
    const page = await req("GET", `/tickets/${t.id}`);
    expect(page.text).toContain('<svg class="chart"');
    expect(page.text).toContain('class="marker"');
  });
});

test("the overview's service signals: request rate, denied share and p99 from the metrics", async () => {
  const { clock, store, req } = setup();
  const now = clock.now();
  // Scrapes every 15 s for 2 minutes: 10 allowed and 1 denied per second; 60 % within 0.5 ms, all within 1 ms.
  const labels = { job: "rate-limiter" };
  for (let k = 0; k <= 8; k++) {
    const t = now - (8 - k) * 15_000;
    store.append([
      { labels: { __name__: "ratelimiter_requests_total", ...labels, decision: "allowed" }, t, v: 150 * k },
      { labels: { __name__: "ratelimiter_requests_total", ...labels, decision: "denied" }, t, v: 15 * k },
      {
        labels: { __name__: "ratelimiter_http_request_duration_seconds_bucket", ...labels, le: "0.0005" },
        t,
        v: 100 * k,
      },
      {
        labels: { __name__: "ratelimiter_http_request_duration_seconds_bucket", ...labels, le: "0.001" },
        t,
        v: 165 * k,
      },
      {
        labels: { __name__: "ratelimiter_http_request_duration_seconds_bucket", ...labels, le: "+Inf" },
        t,
        v: 165 * k,
      },
    ]);
  }
  const html = (await req("GET", "/partials/signals")).text;
  expect(html).toContain("requests 11.0/s");
  expect(html).toContain("denied 9.1 %");
  expect(html).toContain("p99 0.99 ms"); // interpolated in the (0.5 ms, 1 ms] bucket, as Prometheus does
  expect((await req("GET", "/")).text).toContain('hx-get="/partials/signals"');
});

test("the ticket list filters by creation time", async () => {
  const { core, clock, req } = setup();
  testTicket(core, { title: "Last week's review", objective: "o" }, "t");
  clock.advance(3 * 86_400_000);
  testTicket(core, { title: "Today's burn", objective: "o" }, "t");
  const day = (await req("GET", "/tickets?since=24h")).text;
  expect(day).toContain("Today&#x27;s burn");
  expect(day).not.toContain("Last week&#x27;s review");
  const any = (await req("GET", "/tickets?since=")).text;
  expect(any).toContain("Last week&#x27;s review");
  expect(any).toContain('<option value="24h"');
});
