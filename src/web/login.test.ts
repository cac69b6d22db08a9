import { describe, expect, test } from "bun:test";
import { createApi } from "../api/server";
import { testCore } from "../testing/core";
import { dashboardClient } from "../testing/dashboard";
import type { DashboardDeps } from "./context";
import { FORM_MAX_BYTES } from "./form-body";
import { sqliteRevocations } from "./revocations";
import { dashboardRoutes } from "./routes";
import { createSessions } from "./session";

const TOKEN = "dashboard-token-0123456789";

function setup(extra: Partial<DashboardDeps> = {}) {
  const { core, clock, db } = testCore();
  const dashboard = (sessions = createSessions(TOKEN, () => clock.now(), sqliteRevocations(db))) =>
    dashboardRoutes({
      core,
      banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
      instances: () => [],
      sessions,
      metrics: null,
      ...extra,
    });
  const app = dashboard();
  return { core, clock, app, dashboard, ...dashboardClient(app, TOKEN) };
}

const ticket = (csrf: string) => ({ title: "t", objective: "o", _csrf: csrf });

describe("logout", () => {
  test("revokes the session: the old cookie and CSRF token are refused, by another process too", async () => {
    const { req, login, cookie, dashboard } = setup();
    const csrf = await login();
    const session = cookie();
    // Another web process over the same database: its own sessions object, no shared memory.
    const other = dashboardClient(dashboard(), TOKEN);
    const asBefore = { cookie: session };
    expect((await req("POST", "/tickets", ticket(csrf), asBefore)).status).toBe(303);
    expect((await other.req("POST", "/tickets", ticket(csrf), asBefore)).status).toBe(303);

    const out = await req("POST", "/logout", { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(cookie()).toBe("harness_session=");

    // A hostile client kept a copy of the cookie and the CSRF token.
    expect((await req("POST", "/tickets", ticket(csrf), asBefore)).status).toBe(403);
    expect((await other.req("POST", "/tickets", ticket(csrf), asBefore)).status).toBe(403);
    expect((await req("GET", "/tickets", undefined, asBefore)).text).toContain('href="/login"');
    // Logging in again gives a new, working session.
    const fresh = await login();
    expect((await req("POST", "/tickets", ticket(fresh))).status).toBe(303);
  });

  test("without the CSRF token a logout does nothing", async () => {
    const { req, login, cookie } = setup();
    const csrf = await login();
    const session = cookie();
    await req("POST", "/logout", { _csrf: "forged" });
    expect((await req("POST", "/tickets", ticket(csrf), { cookie: session })).status).toBe(303);
  });
});

describe("login throttle", () => {
  test("5 wrong tokens lock the client out, even with the right one, until the lock ends", async () => {
    const { req, clock, app } = setup();
    for (let i = 1; i <= 5; i++) {
      const wrong = await req("POST", "/login", { token: `guess-${i}` });
      expect(wrong.status).toBe(401);
      expect(wrong.type).toContain("text/html");
      expect(wrong.text).toMatch(/<p class="error" id="login-error"[^>]*>Wrong token\./);
      expect(wrong.text).toContain('<form method="post" action="/login"');
    }
    const raw = await app.handle(
      new Request("http://localhost/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      }),
    );
    expect(raw.status).toBe(429);
    expect(raw.headers.get("retry-after")).toBe("60");
    expect(raw.headers.get("set-cookie")).toBeNull();
    expect(await raw.text()).toMatch(
      /id="login-error"[^>]*>Too many failed logins from your address: try again in 1 minute/,
    );

    clock.advance(59_000);
    expect((await req("POST", "/login", { token: TOKEN })).status).toBe(429);
    clock.advance(1_000);
    const ok = await req("POST", "/login", { token: TOKEN });
    expect(ok.status).toBe(303);
    // The success reset the count: a new wrong guess is a first offence again.
    for (let i = 0; i < 4; i++) expect((await req("POST", "/login", { token: "nope" })).status).toBe(401);
    expect((await req("POST", "/login", { token: TOKEN })).status).toBe(303);
  });

  test("a lock holds one client only", async () => {
    let address = "198.51.100.1";
    const { req } = setup({ clientAddress: () => address });
    for (let i = 0; i < 5; i++) await req("POST", "/login", { token: "wrong" });
    expect((await req("POST", "/login", { token: TOKEN })).status).toBe(429);
    address = "198.51.100.2";
    expect((await req("POST", "/login", { token: TOKEN })).status).toBe(303);
  });
});

describe("form bodies are capped", () => {
  test("a form over 64 KiB is refused (413) through the real API; a small one still works", async () => {
    const { core, app, login, cookie } = setup();
    const api = createApi({ core, token: TOKEN, health: () => ({ ok: true, roles: {} }), plugins: [app] });
    const csrf = await login();
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      api.handle(
        new Request("http://localhost/tickets", {
          method: "POST",
          headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded", ...headers },
          body,
        }),
      );
    const big = new URLSearchParams({ ...ticket(csrf), objective: "x".repeat(FORM_MAX_BYTES) }).toString();
    const refused = await post(big);
    expect(refused.status).toBe(413);
    expect(await refused.text()).toContain("form body is larger than the limit");
    // Without a length, a body that never ends is cut off at the cap.
    const endless = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new TextEncoder().encode("a=".padEnd(4096, "x"))),
    });
    expect((await post(endless)).status).toBe(413);
    expect((await post(new URLSearchParams(ticket(csrf)).toString())).status).toBe(303);
    const multipart = new FormData();
    multipart.set("token", TOKEN);
    const viaMultipart = await api.handle(
      new Request("http://localhost/login", { method: "POST", body: multipart }),
    );
    expect(viaMultipart.status).toBe(303);
  });
});
