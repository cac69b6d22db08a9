import { describe, expect, test } from "bun:test";
import { TEST_TOKEN, testCore } from "../testing/core";
import { testTicket } from "../testing/tickets";
import { personAlert } from "../tickets/intake";
import { deployRoutes } from "./deploys";
import { createApi } from "./server";

function setup() {
  const { core, clock, db } = testCore();
  const api = createApi({ core, token: TEST_TOKEN, health: () => ({ ok: true, roles: { web: "running" } }) });
  const call = async (method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const res = await api.handle(new Request(`http://localhost${path}`, init));
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  return { core, clock, db, call };
}

describe("tickets API", () => {
  test("create, get, list and events use the envelope", async () => {
    const { call } = setup();
    const created = await call("POST", "/api/v1/tickets", {
      title: "Raise limit",
      objective: "Fewer denials",
    });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe("success");
    expect(created.json.data.source).toBe("human");
    expect(created.json.data.status).toBe("pending");
    const id = created.json.data.id;
    const got = await call("GET", `/api/v1/tickets/${id}`);
    expect(got.json.data.title).toBe("Raise limit");
    // A person's ticket is observed too: who opened it and what they wrote.
    expect(got.json.data.observation).toMatchObject({
      rule_kind: "human",
      rule: "api",
      data: { title: "Raise limit" },
    });
    const list = await call("GET", "/api/v1/tickets?status=pending");
    expect(list.json.data.items.map((t: { id: number }) => t.id)).toEqual([id]);
    const events = await call("GET", `/api/v1/tickets/${id}/events`);
    expect(events.json.data[0].kind).toBe("created");
  });

  test.each([
    ["missing title", { objective: "x" }, /title/],
    ["empty objective", { title: "t", objective: "  " }, /objective must not be empty/],
    ["bad priority", { title: "t", objective: "o", priority: "P9" }, /priority/],
    [
      "bad criterion",
      { title: "t", objective: "o", success_criteria: [{ query: "up", comparator: "<" }] },
      /threshold/,
    ],
  ])("rejects %s with 400 and a message", async (_name, body, message) => {
    const { call } = setup();
    const res = await call("POST", "/api/v1/tickets", body);
    expect(res.status).toBe(400);
    expect(res.json.status).toBe("error");
    expect(res.json.errorType).toBe("bad_data");
    expect(res.json.error).toMatch(message);
  });

  test("a caller cannot take over the monitor's de-duplication: system fields are refused by name", async () => {
    const { core, call } = setup();
    for (const extra of [
      { fingerprint: "invariant:RateLimiterDown" },
      { source: "invariant" },
      { parent_id: 1 },
      { observation_id: 1 },
    ]) {
      const res = await call("POST", "/api/v1/tickets", { title: "t", objective: "o", ...extra });
      expect(res.status).toBe(400);
      expect(res.json.error).toContain(Object.keys(extra)[0] as string);
    }
    expect(core.tickets.list().total).toBe(0);
    // The monitor's alert still opens its own ticket.
    const raised = core.intake.raise({
      actor: "monitor",
      fingerprint: "invariant:RateLimiterDown",
      observation: {
        rule_kind: "invariant",
        rule: "RateLimiterDown",
        query: "up == 0",
        value: 1,
        labels: {},
        data: {},
      },
      ticket: { title: "down", objective: "up", source: "invariant" },
    });
    expect(raised.action).toBe("created");
  });

  test("a ticket waiting for a person is sent back with the person's criteria; any other is a 409", async () => {
    const { core, call } = setup();
    const t = core.intake.open(personAlert("api", { title: "Check p99", objective: "is it under 10ms?" }));
    expect((await call("POST", `/api/v1/tickets/${t.id}/reopen`, {})).status).toBe(409);
    core.tickets.claimNext("w", 60_000);
    core.tickets.transition(t.id, "needs_human", "w", { leaseOwner: "w", reason: "no measurable criterion" });
    const criterion = { query: "ratelimiter_check_duration_seconds_count", comparator: "nonempty" };
    const bad = await call("POST", `/api/v1/tickets/${t.id}/reopen`, { success_criteria: [{ query: "x" }] });
    expect(bad.status).toBe(400);
    const res = await call("POST", `/api/v1/tickets/${t.id}/reopen`, { success_criteria: [criterion] });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      status: "pending",
      success_criteria: [{ ...criterion, for_seconds: 0 }],
    });
    expect(core.tickets.events(t.id).map((e) => e.kind)).toContain("criteria_set");
  });

  test("malformed JSON is a 400, not a crash", async () => {
    const { call } = setup();
    const res = await call("POST", "/api/v1/tickets", "{not json");
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/JSON/);
  });

  test("mutations need the bearer token; reads do not", async () => {
    const { call } = setup();
    expect((await call("POST", "/api/v1/tickets", { title: "t", objective: "o" }, null)).status).toBe(401);
    expect(
      (await call("POST", "/api/v1/tickets", { title: "t", objective: "o" }, "wrong-token-xxxxxxxx")).status,
    ).toBe(401);
    expect((await call("GET", "/api/v1/tickets", undefined, null)).status).toBe(200);
  });

  test("unknown ticket and bad ids", async () => {
    const { call } = setup();
    expect((await call("GET", "/api/v1/tickets/999")).status).toBe(404);
    expect((await call("GET", "/api/v1/tickets/abc")).status).toBe(400);
    expect((await call("GET", "/api/v1/nothing-here")).status).toBe(404);
  });

  test("notes, cancel, and illegal transitions", async () => {
    const { call } = setup();
    const id = (await call("POST", "/api/v1/tickets", { title: "t", objective: "o" })).json.data.id;
    expect((await call("POST", `/api/v1/tickets/${id}/notes`, { text: "looked at it" })).status).toBe(201);
    expect((await call("POST", `/api/v1/tickets/${id}/notes`, { text: "" })).status).toBe(400);
    expect((await call("POST", `/api/v1/tickets/${id}/cancel`, {})).json.data.status).toBe("cancelled");
    const again = await call("POST", `/api/v1/tickets/${id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/cancelled is final/);
    const approve = await call("POST", `/api/v1/tickets/${id}/approve`, {});
    expect(approve.status).toBe(409);
  });

  test("approval round trip resumes the ticket", async () => {
    const { call, core } = setup();
    const id = (await call("POST", "/api/v1/tickets", { title: "t", objective: "o" })).json.data.id;
    const claimed = core.tickets.claimNext("w1", 60_000);
    expect(claimed?.id).toBe(id);
    core.approvals.request(id, "deploy", "diff is 300 lines", "agent", "w1");
    expect(core.tickets.get(id).status).toBe("awaiting_approval");
    const res = await call("POST", `/api/v1/tickets/${id}/approve`, { comment: "ok" });
    expect(res.status).toBe(200);
    expect(core.tickets.get(id).status).toBe("pending");
    const kinds = core.tickets.events(id).map((e) => e.kind);
    expect(kinds).toContain("approval_requested");
    expect(kinds).toContain("approved");
  });
});

describe("secrets never leave through the read API", () => {
  // The API token is a known secret of the test core; these are the forms a red team found leaking.
  const forms = [
    TEST_TOKEN,
    Buffer.from(TEST_TOKEN).toString("base64").replace(/=+$/, ""),
    Buffer.from(TEST_TOKEN).toString("hex"),
  ];
  const leaked = (json: unknown) => forms.filter((f) => JSON.stringify(json).includes(f));

  test("a ticket created with the secret in title, objective and criteria is stored and served without it", async () => {
    const { call, db } = setup();
    const [literal, base64] = forms;
    const created = await call("POST", "/api/v1/tickets", {
      title: `token leaked: ${literal}`,
      objective: `the test printed ${base64} in its output`,
      success_criteria: [
        { name: `no ${base64}`, query: `sum(rate(x{k="${literal}"}[5m]))`, comparator: "<", threshold: 1 },
      ],
      context: { note: `echo ${literal} | base64` },
    });
    expect(created.status).toBe(201);
    expect(leaked(created.json)).toEqual([]);
    const id = created.json.data.id;
    const got = await call("GET", `/api/v1/tickets/${id}`);
    expect(got.json.data.title).toBe("token leaked: [REDACTED]");
    expect(got.json.data.objective).toBe("the test printed [REDACTED] in its output");
    expect(got.json.data.success_criteria[0]).toMatchObject({
      name: "no [REDACTED]",
      query: 'sum(rate(x{k="[REDACTED]"}[5m]))',
      threshold: 1,
    });
    expect(leaked(got.json)).toEqual([]);
    expect(leaked((await call("GET", "/api/v1/tickets")).json)).toEqual([]);
    expect(leaked((await call("GET", `/api/v1/tickets/${id}/events`)).json)).toEqual([]);
    // Stored redacted, not only served so: the model and the exports read the same rows.
    expect(leaked(db.query("SELECT * FROM tickets").all())).toEqual([]);
  });

  test("approval reasons, comments and actions, and resolutions, are served without the secret", async () => {
    const { call, core } = setup();
    const id = (await call("POST", "/api/v1/tickets", { title: "t", objective: "o" })).json.data.id;
    core.tickets.claimNext("w1", 60_000);
    core.approvals.request(id, `run curl -H 'x: ${forms[2]}'`, `it needs ${forms[1]}`, "agent", "w1");
    await call("POST", `/api/v1/tickets/${id}/deny`, { comment: `no, that is ${TEST_TOKEN}` });
    core.tickets.claimNext("w1", 60_000);
    core.tickets.transition(id, "verifying", "w1", { resolution: `used ${forms[1]}`, leaseOwner: "w1" });
    const got = await call("GET", `/api/v1/tickets/${id}`);
    expect(got.json.data.approvals).toHaveLength(1);
    expect(got.json.data.resolution).toBe("used [REDACTED]");
    expect(leaked(got.json)).toEqual([]);
    expect(leaked((await call("GET", `/api/v1/tickets/${id}/events`)).json)).toEqual([]);
  });

  test("deploy rows, whose stages keep test output, are served without the secret", async () => {
    const { core, db } = testCore();
    const api = createApi({
      core,
      token: TEST_TOKEN,
      health: () => ({ ok: true, roles: {} }),
      plugins: [deployRoutes(core, () => null)],
    });
    const t = testTicket(core, { title: "ship", objective: "o" }, "t");
    const stages = [{ stage: "check", ok: false, ms: 5, detail: `expected ${forms[1]} got undefined` }];
    db.query(
      "INSERT INTO deploys (ticket_id, commit_sha, status, stage, reason, stages, started_at) VALUES (?, 'abc', 'failed', 'check', ?, ?, 0)",
    ).run(t.id, `tests printed ${TEST_TOKEN}`, JSON.stringify(stages));
    const res = await api.handle(new Request("http://localhost/api/v1/deploys"));
    const json = (await res.json()) as { data: { reason: string; stages: string }[] };
    expect(json.data[0]?.reason).toBe("tests printed [REDACTED]");
    expect(JSON.parse(json.data[0]?.stages ?? "[]")[0].detail).toBe("expected [REDACTED] got undefined");
    expect(leaked(json)).toEqual([]);
  });
});

describe("rules API", () => {
  test("SLO and invariant CRUD with validation", async () => {
    const { call } = setup();
    const slo = await call("POST", "/api/v1/slos", {
      name: "availability",
      objective: 99.9,
      window: "30d",
      sli: { bad: 'sum(rate(x{code="500"}[5m]))', total: "sum(rate(x[5m]))" },
    });
    expect(slo.status).toBe(201);
    expect(slo.json.data.window).toBe("30d");
    const bad = await call("POST", "/api/v1/slos", { name: "x", objective: 120, sli: { total: "a" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/objective/);
    const dup = await call("POST", "/api/v1/slos", {
      name: "availability",
      objective: 99,
      sli: { good: "a", total: "b" },
    });
    expect(dup.status).toBe(409);
    const inv = await call("POST", "/api/v1/invariants", {
      name: "up",
      query: "up == 0",
      for: "1m",
      severity: "critical",
    });
    expect(inv.status).toBe(201);
    expect(inv.json.data.for_ms).toBe(60_000);
    const upd = await call("PUT", `/api/v1/invariants/${inv.json.data.id}`, { for: "bogus" });
    expect(upd.status).toBe(400);
    expect(upd.json.error).toMatch(/for/);
    expect((await call("DELETE", `/api/v1/invariants/${inv.json.data.id}`)).status).toBe(200);
    expect((await call("GET", `/api/v1/invariants/${inv.json.data.id}`)).status).toBe(404);
  });
});

describe("anomaly and schedule API", () => {
  test("CRUD with validation", async () => {
    const { call } = setup();
    const a = await call("POST", "/api/v1/anomalies", {
      name: "rate",
      query: "sum(rate(x[5m]))",
      method: "seasonal",
    });
    expect(a.status).toBe(201);
    expect(a.json.data).toMatchObject({ method: "seasonal", sensitivity: 4, window: "1h" });
    expect(
      (await call("POST", "/api/v1/anomalies", { name: "bad", query: "x", method: "magic" })).status,
    ).toBe(400);
    expect(
      (await call("PUT", `/api/v1/anomalies/${a.json.data.id}`, { sensitivity: 6 })).json.data.sensitivity,
    ).toBe(6);
    const s = await call("POST", "/api/v1/schedules", {
      name: "weekly",
      cron: "0 9 * * 1",
      title: "Review",
      objective: "Compare weeks",
    });
    expect(s.status).toBe(201);
    expect(s.json.data.next_run_at).toBeGreaterThan(0);
    const bad = await call("POST", "/api/v1/schedules", {
      name: "x",
      cron: "every tuesday",
      title: "t",
      objective: "o",
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/cron/);
    expect((await call("DELETE", `/api/v1/schedules/${s.json.data.id}`)).status).toBe(200);
  });
});

describe("deploys API", () => {
  test("a deploy needs a pipeline and a ticket; the history is listed; no token, no deploy", async () => {
    const { core } = testCore();
    const api = createApi({
      core,
      token: TEST_TOKEN,
      health: () => ({ ok: true, roles: {} }),
      plugins: [deployRoutes(core, () => null)],
    });
    const call = async (method: string, path: string, token: string | null = TEST_TOKEN) => {
      const res = await api.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }),
      );
      return {
        status: res.status,
        json: (await res.json()) as { status: string; data?: unknown; error?: string },
      };
    };
    const t = testTicket(core, { title: "ship", objective: "o" }, "t");
    const none = await call("POST", `/api/v1/tickets/${t.id}/deploy`);
    expect(none.status).toBe(503);
    expect(none.json.error).toContain("no deploy pipeline");
    expect((await call("POST", `/api/v1/tickets/${t.id}/deploy`, null)).status).toBe(401);
    expect((await call("GET", "/api/v1/deploys")).json).toEqual({ status: "success", data: [] });
  });
});

describe("ticket list by time", () => {
  test("since and until take RFC 3339, Unix seconds or a duration back from now; a bad value is a 400", async () => {
    const { core, clock, call } = setup();
    const old = testTicket(core, { title: "old", objective: "o" }, "t");
    clock.advance(2 * 86_400_000);
    const recent = testTicket(core, { title: "recent", objective: "o" }, "t");
    const ids = async (q: string) =>
      (await call("GET", `/api/v1/tickets?${q}`)).json.data.items.map((t: { id: number }) => t.id);
    expect(await ids("since=24h")).toEqual([recent.id]);
    expect(await ids(`until=${new Date(clock.now() - 86_400_000).toISOString()}`)).toEqual([old.id]);
    expect(await ids(`since=${Math.floor((clock.now() - 3 * 86_400_000) / 1000)}`)).toEqual([
      recent.id,
      old.id,
    ]);
    const bad = await call("GET", "/api/v1/tickets?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain("since must be RFC 3339");
  });
});
