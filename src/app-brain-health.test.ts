import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApp, startApp } from "./app";
import { loadConfig } from "./config";
import { FakeClock } from "./lib/clock";
import { type FakeAnthropic, type ScriptedTurn, startFakeAnthropic } from "./testing/fake-anthropic";
import { waitFor } from "./testing/ports";
import { upCriterion } from "./testing/tickets";

/** The whole app (web and agent roles) with a Claude brain behind a local server speaking the Messages API. */

const KEY = "sk-test-fake-key-000";
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function start(script: ScriptedTurn[], key: string, clock?: FakeClock) {
  const fake: FakeAnthropic = await startFakeAnthropic(script, { apiKey: KEY, probes: "script" });
  cleanup.push(() => fake.stop());
  const cwd = mkdtempSync(join(tmpdir(), "harness-brain-"));
  writeFileSync(
    join(cwd, "harness.yaml"),
    "token: test-token-0123456789\nserver: { port: 0 }\nservice: { enabled: false }\nmonitor: { default_rules: false }\nagent: { poll: 50ms }\n",
  );
  const logged: string[] = [];
  const app: RunningApp = await startApp({
    config: loadConfig({ env: {}, cwd }),
    roles: ["web", "agent"],
    log: (m, d) => logged.push(`${m} ${JSON.stringify(d)}`),
    env: { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: fake.url },
    ...(clock ? { clock } : {}),
  });
  cleanup.push(() => app.stop());
  const base = `http://127.0.0.1:${app.port}`;
  const healthz = async () => {
    const res = await fetch(`${base}/healthz`);
    return {
      code: res.status,
      body: (await res.json()) as Record<string, unknown> & { brain: Record<string, unknown> },
    };
  };
  const text = async (path: string) => (await fetch(`${base}${path}`)).text();
  return { app, base, fake, logged, healthz, text };
}

test("a wrong key: /healthz is degraded with the reason, the banner and /metrics say it, the runbook works tickets", async () => {
  const { app, base, logged, healthz, text } = await start([], "sk-wrong-key");
  await waitFor("the start probe", async () => (await healthz()).body.brain.status === "down", 10_000, 20);

  const h = await healthz();
  // Degraded still answers 200: restarting the harness cannot fix a key.
  expect(h.code).toBe(200);
  expect(h.body).toMatchObject({
    ok: true,
    status: "degraded",
    brain: { name: "claude", status: "down", kind: "auth", fallback: "runbook", taking_tickets: "runbook" },
  });
  expect(h.body.reasons).toEqual([
    "brain claude is down (Claude API 401 authentication_error: invalid x-api-key — check ANTHROPIC_API_KEY); the runbook is taking tickets",
  ]);
  expect(typeof h.body.brain.since).toBe("number");
  expect(logged.find((l) => l.startsWith("brain down"))).toContain('"kind":"auth"');

  const page = await text("/");
  expect(page).toContain('id="brain-warning"');
  expect(page).toContain("runbook is taking tickets");
  expect(await text("/metrics")).toContain('harness_brain_up{brain="claude"} 0');

  const created = await fetch(`${base}/api/v1/tickets`, {
    method: "POST",
    headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      title: "Check the limiter",
      objective: "Make sure it is up",
      success_criteria: [upCriterion],
    }),
  });
  const id = ((await created.json()) as { data: { id: number } }).data.id;
  await waitFor(
    "the runbook to work the ticket",
    async () => app.core.tickets.get(id).status !== "pending",
    10_000,
    20,
  );
  const events = app.core.tickets.events(id);
  expect(events.find((e) => e.kind === "brain_fallback")?.data).toMatchObject({
    configured: "claude",
    brain: "runbook",
  });
  expect(events.filter((e) => e.kind === "brain_turn").every((e) => e.data.brain === "runbook")).toBe(true);
});

test("an overloaded API at start recovers on the backoff: /healthz goes from degraded to ok", async () => {
  const clock = new FakeClock();
  const pong: ScriptedTurn = { content: [{ type: "text", text: "p" }], stop_reason: "max_tokens" };
  const { healthz, text, fake } = await start(
    [{ status: 529, error_type: "overloaded_error", message: "Overloaded" }, pong],
    KEY,
    clock,
  );
  await waitFor("the start probe", async () => (await healthz()).body.brain.status === "down", 10_000, 20);
  expect((await healthz()).body).toMatchObject({ status: "degraded", brain: { kind: "overloaded" } });

  await clock.advanceAsync(5_000);
  await waitFor("the re-probe", async () => (await healthz()).body.brain.status === "up", 10_000, 20);
  const h = await healthz();
  expect(h.body).toMatchObject({
    status: "ok",
    reasons: [],
    brain: { status: "up", taking_tickets: "claude" },
  });
  expect(await text("/")).not.toContain("brain-warning");
  expect(await text("/metrics")).toContain('harness_brain_up{brain="claude"} 1');
  expect(fake.remaining()).toBe(0);
});
