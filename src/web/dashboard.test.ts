import { describe, expect, test } from "bun:test";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import { testCore } from "../testing/core";
import { dashboardClient } from "../testing/dashboard";
import { testTicket } from "../testing/tickets";
import { dashboardRoutes } from "./routes";
import { createSessions } from "./session";

const TOKEN = "dashboard-token-0123456789";

function setup() {
  const { core, clock } = testCore();
  const sessions = createSessions(TOKEN, () => clock.now());
  const app = dashboardRoutes({
    core,
    banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
    instances: () => [],
    sessions,
    metrics: null,
  });
  const { req, login, cookie } = dashboardClient(app, TOKEN);
  return { core, clock, req, login, getCookie: cookie };
}

describe("dashboard", () => {
  test("overview lists open tickets, auto-refreshes, and names the brain", async () => {
    const { core, req } = setup();
    testTicket(core, { title: "Capacity headroom low", objective: "raise it", priority: "P2" }, "t");
    const page = await req("GET", "/");
    expect(page.status).toBe(200);
    expect(page.type).toContain("text/html");
    expect(page.text).toContain("Capacity headroom low");
    expect(page.text).toContain('hx-get="/partials/open-tickets"');
    expect(page.text).toContain("runbook");
    expect(page.text).toContain('src="/public/htmx.min.js"');
  });

  test("a ticket page shows its metric at the baseline, when opened and after the fix, and flags a partial fix", async () => {
    const { core, req } = setup();
    const query = "max(ratelimiter_key_capacity_used_ratio)";
    const t = testTicket(
      core,
      {
        title: "Key headroom low",
        objective: "raise it",
        context: {
          baseline: {
            at: Date.UTC(2026, 0, 5),
            signals: [{ criterion: "Headroom", query, good: "low", threshold: 0.8, value: 0.0005 }],
            opened: [{ criterion: "Headroom", query, good: "low", threshold: 0.8, value: 0.95 }],
            config_hashes: ["abc"],
            commit: "c".repeat(40),
          },
        },
      },
      "monitor",
    );
    expect((await req("GET", `/tickets/${t.id}`)).text).toContain("not verified yet");
    core.tickets.addEvent(t.id, "verification", "monitor", {
      result: "passed",
      partial: true,
      against_baseline: [{ criterion: "Headroom", query, baseline: 0.0005, after: 0.75, worse: true }],
    });
    const page = (await req("GET", `/tickets/${t.id}`)).text;
    expect(page).toContain('id="against-baseline"');
    for (const cell of ["0.0005", "0.95", "0.75 (worse)", "partial fix", "c".repeat(12)])
      expect(page).toContain(cell);
  });

  test("every contract route answers", async () => {
    const { req } = setup();
    for (const path of [
      "/",
      "/tickets",
      "/slos",
      "/invariants",
      "/anomalies",
      "/schedules",
      "/deploys",
      "/explore",
      "/trajectories",
    ]) {
      expect([path, (await req("GET", path)).status]).toEqual([path, 200]);
    }
  });

  test("text from tickets is escaped, never executed", async () => {
    const { core, req } = setup();
    const t = testTicket(
      core,
      { title: "<script>alert(1)</script>", objective: "<img src=x onerror=alert(2)>" },
      "t",
    );
    core.tickets.addEvent(t.id, "note", "p", { text: "</pre><script>alert(3)</script>" });
    for (const path of ["/", "/tickets", "/partials/tickets", `/tickets/${t.id}`, "/partials/feed"]) {
      const { text } = await req("GET", path);
      expect(text).not.toContain("<script>alert");
      expect(text).not.toContain("<img src=x");
    }
    expect((await req("GET", `/tickets/${t.id}`)).text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  test("forms need a login and a CSRF token", async () => {
    const { core, req, login } = setup();
    expect((await req("POST", "/tickets", { title: "t", objective: "o" })).status).toBe(403);
    expect((await req("POST", "/login", { token: "wrong" })).status).toBe(401);
    const csrf = await login();
    expect(csrf).toBeTruthy();
    expect((await req("POST", "/tickets", { title: "t", objective: "o", _csrf: "forged" })).status).toBe(403);
    const ok = await req("POST", "/tickets", {
      title: "From the form",
      objective: "o",
      priority: "P2",
      _csrf: csrf,
    });
    expect(ok.status).toBe(303);
    const id = Number(ok.location?.split("/").pop());
    expect(core.tickets.get(id).source).toBe("human");
    expect(core.tickets.get(id).priority).toBe("P2");
  });

  test("a bad SLO form shows the error next to the field", async () => {
    const { req, login } = setup();
    const csrf = await login();
    const res = await req("POST", "/slos", {
      name: "avail",
      objective: "150",
      window: "30d",
      total: "x",
      bad: "y",
      _csrf: csrf,
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="error-objective">[^<]*percentage/);
  });

  test("approve from the ticket page resumes a waiting ticket", async () => {
    const { core, req, login } = setup();
    const csrf = await login();
    const t = testTicket(core, { title: "t", objective: "o" }, "x");
    core.tickets.claimNext("w", 60_000);
    core.approvals.request(t.id, "deploy", "large diff", "agent", "w");
    const page = await req("GET", `/tickets/${t.id}`);
    expect(page.text).toContain('id="approve-button"');
    const res = await req("POST", `/tickets/${t.id}/approve`, { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(core.tickets.get(t.id).status).toBe("pending");
    expect((await req("POST", `/tickets/${t.id}/approve`, { _csrf: csrf })).status).toBe(409);
  });

  test("SLO panels show budget remaining, burn per window and a chart", async () => {
    const { core } = testCore(Date.UTC(2026, 0, 8));
    const store = new MetricStore(":memory:");
    let ok = 0;
    let bad = 0;
    for (let t = Date.UTC(2026, 0, 7, 22); t <= Date.UTC(2026, 0, 8); t += 60_000) {
      ok += 990;
      bad += 10;
      store.append([
        { labels: { __name__: "requests_total", code: "200" }, t, v: ok },
        { labels: { __name__: "requests_total", code: "500" }, t, v: bad },
      ]);
    }
    core.rules.createSlo({
      name: "availability",
      objective: 99.9,
      sli: { bad: 'requests_total{code="500"}', total: "requests_total" },
    });
    const app = dashboardRoutes({
      core,
      banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
      instances: () => [],
      sessions: createSessions(TOKEN, () => core.clock.now()),
      metrics: {
        kind: "embedded",
        instantQuery: async (e, t) => instantQuery(store, e, t),
        rangeQuery: async (e, a, b, st) => rangeQuery(store, e, a, b, st),
      },
    });
    const html = await (await app.handle(new Request("http://localhost/partials/slos"))).text();
    expect(html).toContain("availability — 99.9% over 30d");
    expect(html).toContain("1h / 5m");
    expect(html).toMatch(/10\.\d\d×/); // 1% errors against a 0.1% budget: burning about 10×
    expect(html).toContain("<svg");
  });

  test("serves htmx and the stylesheet from the binary; unknown ticket is a 404 page", async () => {
    const { req } = setup();
    const js = await req("GET", "/public/htmx.min.js");
    expect(js.status).toBe(200);
    expect(js.text).toContain("htmx");
    expect((await req("GET", "/public/app.css")).text).toContain("prefers-color-scheme: dark");
    expect((await req("GET", "/tickets/999")).status).toBe(404);
  });
});

describe("no page shows a secret", () => {
  // The test core knows this secret; the forms are how a red team got copies past the literal match.
  const secret = "test-token-0123456789";
  const forms = [
    secret,
    Buffer.from(secret).toString("base64").replace(/=+$/, ""),
    Buffer.from(secret).toString("hex"),
  ];
  const leaked = (html: string) => forms.filter((f) => html.includes(f));

  test("tickets, approvals, deploys, episodes and log lines pass the redactor", async () => {
    const { core, clock, db } = testCore();
    const app = dashboardRoutes({
      core,
      banner: () => ({ brain: "runbook", metrics: "embedded", logs: "loki" }),
      instances: () => [],
      sessions: createSessions(TOKEN, () => clock.now()),
      metrics: null,
      // A remote Loki: its lines never passed this redactor on the way in.
      logs: {
        kind: "loki",
        lines: async () => [{ t: clock.now(), labels: { service: "rl" }, line: `boot with ${forms[1]}` }],
        instantQuery: async () => ({ resultType: "vector", result: [] }),
      },
    });
    const { req, login } = dashboardClient(app, TOKEN);
    const t = testTicket(core, { title: `leak ${secret}`, objective: `base64 ${forms[1]}` }, "t");
    core.tickets.claimNext("w1", 60_000);
    core.approvals.request(t.id, `curl -d ${forms[2]}`, `needs ${secret}`, "agent", "w1");
    db.query(
      "INSERT INTO deploys (ticket_id, commit_sha, status, stage, reason, stages, started_at) VALUES (?, 'abc', 'failed', 'check', ?, '[]', 0)",
    ).run(t.id, `tests printed ${secret}`);
    await login();
    const pages = [
      "/",
      "/tickets",
      `/tickets/${t.id}`,
      "/deploys",
      `/trajectories/t${t.id}-a1`,
      "/explore?logql=%7Bservice%3D%22rl%22%7D",
    ];
    for (const path of pages) {
      const page = await req("GET", path);
      expect([path, page.status, leaked(page.text)]).toEqual([path, 200, []]);
    }
    expect((await req("GET", `/tickets/${t.id}`)).text).toContain("Waiting for approval: curl -d [REDACTED]");
    expect((await req("GET", "/deploys")).text).toContain("tests printed [REDACTED]");
    expect((await req("GET", "/explore?logql=%7Bservice%3D%22rl%22%7D")).text).toContain(
      "boot with [REDACTED]",
    );
  });
});
