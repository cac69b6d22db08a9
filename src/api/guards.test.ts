import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Elysia } from "elysia";
import { createCore } from "../core";
import { openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";
import { TEST_TOKEN, testCore } from "../testing/core";
import { dashboardClient } from "../testing/dashboard";
import { dashboardRoutes } from "../web/routes";
import { createSessions } from "../web/session";
import { deployRoutes } from "./deploys";
import { success } from "./envelope";
import { createApi } from "./server";

/** Stands in for the Prometheus routes (not this module's): answers with the form it received. */
const echoLabels = new Elysia().post("/api/v1/labels", ({ body }) => success(body));

function setup(core = testCore().core) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const dashboard = dashboardRoutes({
    core,
    banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
    instances: () => [],
    sessions: createSessions(TEST_TOKEN, () => clock.now()),
    metrics: null,
  });
  const api = createApi({
    core,
    token: TEST_TOKEN,
    health: () => ({ ok: true, roles: {} }),
    plugins: [deployRoutes(core, () => null), echoLabels, dashboard],
  });
  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await api.handle(new Request(`http://localhost${path}`, { method, ...init }));
    return { status: res.status, text: await res.text() };
  };
  return { core, api, call };
}

const bearer = { authorization: `Bearer ${TEST_TOKEN}` };
const form = { "content-type": "application/x-www-form-urlencoded" };

describe("every parameter error is a 4xx", () => {
  const cases: [string, string, Record<string, string>, number][] = [
    ["GET", "/api/v1/deploys?limit=1.5", {}, 400],
    ["GET", "/api/v1/deploys?limit=-1", {}, 400],
    ["GET", "/api/v1/deploys?limit=1e2", {}, 400],
    ["GET", "/api/v1/deploys?limit=201", {}, 400],
    ["GET", "/api/v1/deploys?limit=20", {}, 200],
    ["GET", "/api/v1/tickets?limit=0x10", {}, 400],
    ["GET", "/api/v1/tickets?offset=1.5", {}, 400],
    ["GET", "/api/v1/tickets/1.5", {}, 400],
    ["GET", "/api/v1/tickets/%ff", {}, 400],
    ["GET", "/api/v1/tickets/%E2%82/events", {}, 400],
    ["GET", "/api/v1/slos/%ff", {}, 400],
    ["POST", "/api/v1/tickets/%ff/deploy", bearer, 400],
    ["POST", "/api/v1/tickets/abc/deploy", bearer, 400],
    ["GET", "/tickets/%ff", {}, 400],
    ["GET", "/slos/%ff/edit", {}, 400],
    ["GET", "/nothing/%ff", {}, 400],
  ];
  test.each(cases)("%s %s", async (method, path, headers, status) => {
    const { call } = setup();
    const res = await call(method, path, { headers });
    expect(res.status).toBe(status);
    if (status === 400)
      expect(JSON.parse(res.text)).toMatchObject({ status: "error", errorType: "bad_data" });
  });
});

describe("Prometheus and Loki reads sent as POST need no token; every other POST does", () => {
  const cases: [string, string, Record<string, string>, string, (s: number) => boolean][] = [
    ["labels as a form", "/api/v1/labels", form, "match[]=up", (s) => s === 200],
    ["query as a form", "/api/v1/query", form, "query=up", (s) => s !== 401],
    ["query_range", "/api/v1/query_range", form, "query=up&start=1&end=2&step=1", (s) => s !== 401],
    ["series", "/api/v1/series", form, "match[]=up", (s) => s !== 401],
    ["label values", "/api/v1/label/job/values", form, "", (s) => s !== 401],
    ["Loki query_range", "/loki/api/v1/query_range", form, "query={a=%22b%22}", (s) => s !== 401],
    ["Loki label values", "/loki/api/v1/label/job/values", form, "", (s) => s !== 401],
    ["Loki index stats", "/loki/api/v1/index/stats", form, "query={a=%22b%22}", (s) => s !== 401],
    ["labels with no body", "/api/v1/labels", {}, "", (s) => s === 200],
    ["labels as JSON", "/api/v1/labels", { "content-type": "application/json" }, "{}", (s) => s === 401],
    ["a ticket", "/api/v1/tickets", form, "title=t&objective=o", (s) => s === 401],
    ["remote write", "/api/v1/write", form, "", (s) => s === 401],
    ["Loki push", "/loki/api/v1/push", form, "", (s) => s === 401],
    ["a path below labels", "/api/v1/labels/x", form, "", (s) => s === 401],
  ];
  test.each(cases)("%s", async (_name, path, headers, body, ok) => {
    const { call } = setup();
    const res = await call("POST", path, { headers, ...(body ? { body } : {}) });
    expect([res.status, ok(res.status)]).toEqual([res.status, true]);
  });

  test("the form reaches the route as it would with GET", async () => {
    const { call } = setup();
    const res = await call("POST", "/api/v1/labels", { headers: form, body: "match[]=up&start=5" });
    expect(JSON.parse(res.text).data).toEqual({ "match[]": "up", start: "5" });
  });

  test("an open read's body is capped: a declared 2 MiB is 413, a stream of unknown length 400", async () => {
    const { call } = setup();
    const big = await call("POST", "/api/v1/labels", {
      headers: { ...form, "content-length": String(2 * 2 ** 20) },
      body: "match[]=up",
    });
    expect(big.status).toBe(413);
    const chunked = await call("POST", "/api/v1/labels", {
      headers: { ...form, "transfer-encoding": "chunked" },
      body: "match[]=up",
    });
    expect(chunked.status).toBe(400);
    expect(chunked.text).toContain("Content-Length");
  });
});

describe("over a real socket", () => {
  const { api } = setup();
  const server = Bun.serve({ port: 0, fetch: (req) => api.handle(req) });
  afterAll(() => server.stop(true));

  /** Sends raw request bytes and resolves with the status line of the answer (or "timeout"). */
  const raw = (text: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(server.port as number, "127.0.0.1", () => socket.write(text));
      const timer = setTimeout(() => {
        socket.destroy();
        resolve("timeout");
      }, 2000);
      socket.on("data", (d) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(d.toString().split("\r\n")[0] ?? "");
      });
    });

  test("a 100 MiB open read is refused from its headers, before a byte of body is sent", async () => {
    const status = await raw(
      "POST /api/v1/labels HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
        `Content-Length: ${100 * 2 ** 20}\r\n\r\n`,
    );
    expect(status).toBe("HTTP/1.1 413 Payload Too Large");
  });

  test("an unauthenticated POST elsewhere is refused before its body is sent", async () => {
    const status = await raw(
      `POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 2 ** 20}\r\n\r\n`,
    );
    expect(status).toBe("HTTP/1.1 401 Unauthorized");
  });
});

describe("a storage fault is ours: 503, never the caller's 400", () => {
  test("API and dashboard forms on a locked database", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "harness-guards-")), "h.db");
    const db = openDatabase(path);
    db.run("PRAGMA busy_timeout = 0");
    const core = createCore(db, new FakeClock(Date.UTC(2026, 0, 1)), [TEST_TOKEN]);
    const { api, call } = setup(core);
    const client = dashboardClient(api, TEST_TOKEN);
    const csrf = await client.login();
    const holder = new Database(path);
    holder.run("BEGIN IMMEDIATE");
    try {
      const res = await call("POST", "/api/v1/tickets", {
        headers: { ...bearer, "content-type": "application/json" },
        body: JSON.stringify({ title: "t", objective: "o" }),
      });
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toMatchObject({ errorType: "unavailable" });
      const page = await client.req("POST", "/tickets", { _csrf: csrf, title: "t", objective: "o" });
      expect(page.status).toBe(503);
    } finally {
      holder.run("ROLLBACK");
      holder.close();
    }
  });
});
