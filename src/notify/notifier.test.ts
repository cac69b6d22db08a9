import { afterEach, describe, expect, test } from "bun:test";
import { createApi } from "../api/server";
import { ConfigSchema } from "../config";
import { createCore } from "../core";
import { migrations } from "../db/migrations";
import { applyMigrations, openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";
import { silentLogger } from "../lib/log";
import { TEST_TOKEN, testCore } from "../testing/core";
import { fakePagerDuty, fakeSlack, fakeWebhook } from "../testing/notify-receivers";
import { waitFor } from "../testing/ports";
import { testTicket, upCriterion } from "../testing/tickets";
import { dashboardRoutes } from "../web/routes";
import { createSessions } from "../web/session";
import { createNotifier } from "./notifier";
import { notifyTargets } from "./targets";

const SECRET = "whsec-0123456789abcdef";
const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF";
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function setup(opts: { slackFails?: number; notify?: Record<string, unknown> } = {}) {
  const { core, clock } = testCore();
  const slack = await fakeSlack(opts.slackFails ?? 0);
  const hook = await fakeWebhook(SECRET);
  const pd = await fakePagerDuty();
  stops.push(slack.stop, hook.stop, pd.stop);
  const env = { SLACK_URL: `${slack.url}/services/T0/B0/xyz`, HOOK_SECRET: SECRET, PD_KEY: ROUTING_KEY };
  const config = ConfigSchema.parse({
    notify: {
      public_url: "https://harness.example.com",
      slack: [{ name: "ops", url_env: "SLACK_URL" }],
      webhooks: [{ name: "ci", url: `${hook.url}/hook`, secret_env: "HOOK_SECRET" }],
      pagerduty: [{ name: "oncall", routing_key_env: "PD_KEY", url: `${pd.url}/v2/enqueue` }],
      ...opts.notify,
    },
  });
  const targets = notifyTargets(config.notify, env);
  const make = () =>
    createNotifier({
      core,
      targets,
      publicUrl: "https://harness.example.com",
      retries: config.notify.retries,
      timeoutMs: config.notify.timeout,
      maxAgeMs: config.notify.max_age,
      log: silentLogger,
    });
  return { core, clock, slack, hook, pd, notifier: make(), make };
}

describe("notifier", () => {
  test("a P1 pages, waits for approval, then resolves on completion; Slack and webhook hear what needs a person", async () => {
    const { core, slack, hook, pd, notifier } = await setup();
    const t = testTicket(core, {
      title: "Rate limiter <!channel> down & <https://evil.example|click>",
      objective: "bring it back",
      priority: "P1",
      success_criteria: [upCriterion],
    });
    expect(await notifier.tick()).toEqual({ planned: 3, sent: 3 });

    expect(core.tickets.claimNext("w1", 60_000)?.id).toBe(t.id);
    core.approvals.request(t.id, "restart_service", "restart rl-0", "w1", "w1");
    await notifier.tick();
    core.approvals.decide(t.id, true, "person");
    core.tickets.claimNext("w1", 60_000);
    core.tickets.transition(t.id, "verifying", "w1", { leaseOwner: "w1", resolution: "restarted" });
    core.tickets.transition(t.id, "completed", "monitor", { reason: "criteria held" });
    expect(await notifier.tick()).toEqual({ planned: 1, sent: 1 });

    expect(slack.received.map((r) => r.answered)).toEqual([200, 200]);
    expect(slack.received[0]?.raw).not.toContain("<!channel>");
    expect(slack.received[0]?.raw).toContain("&lt;!channel&gt;");
    expect(slack.received[0]?.raw).toContain(`<https://harness.example.com/tickets/${t.id}|`);
    expect(hook.received.map((r) => [r.answered, r.json.event])).toEqual([
      [200, "p1_opened"],
      [200, "awaiting_approval"],
    ]);
    expect(pd.received.map((r) => [r.answered, r.json.event_action, r.json.dedup_key])).toEqual([
      [202, "trigger", `harness-ticket-${t.id}`],
      [202, "trigger", `harness-ticket-${t.id}`],
      [202, "resolve", `harness-ticket-${t.id}`],
    ]);
    expect(pd.received[1]?.json.payload).toMatchObject({ severity: "critical", class: "awaiting_approval" });

    const log = core.notifications.forTicket(t.id);
    expect(log.map((d) => [d.target, d.event, d.status, d.attempts])).toEqual([
      ["ops", "p1_opened", "sent", 1],
      ["ci", "p1_opened", "sent", 1],
      ["oncall", "p1_opened", "sent", 1],
      ["ops", "awaiting_approval", "sent", 1],
      ["ci", "awaiting_approval", "sent", 1],
      ["oncall", "awaiting_approval", "sent", 1],
      ["oncall", "completed", "sent", 1],
    ]);
    expect(log[0]?.log).toEqual([
      { attempt: 1, ts: expect.any(Number), ok: true, response_code: 200, error: null, duration_ms: 0 },
    ]);
  });

  test("a 500 is retried after the backoff, each attempt in the log", async () => {
    const { core, clock, slack, notifier } = await setup({ slackFails: 1 });
    const t = testTicket(core, { title: "Down", objective: "fix", priority: "P1" });
    await notifier.tick();
    const first = core.notifications.forTicket(t.id).find((d) => d.target === "ops");
    expect(first).toMatchObject({ status: "pending", attempts: 1, response_code: 500 });
    expect(first?.last_error).toStartWith("HTTP 500");
    expect(first?.last_error).not.toContain("/services/");

    expect((await notifier.tick()).sent).toBe(0);
    clock.advance(5_000);
    expect((await notifier.tick()).sent).toBe(1);
    const done = core.notifications.forTicket(t.id).find((d) => d.target === "ops");
    expect(done).toMatchObject({ status: "sent", attempts: 2, response_code: 200, last_error: null });
    expect(done?.log.map((a) => [a.attempt, a.ok, a.response_code])).toEqual([
      [1, false, 500],
      [2, true, 200],
    ]);
    expect(slack.received.map((r) => r.answered)).toEqual([500, 200]);
  });

  test("a refusal (4xx) is not retried", async () => {
    const elsewhere = await fakePagerDuty();
    stops.push(elsewhere.stop);
    // A path PagerDuty's fake does not serve: a 404, which no retry can fix.
    const { core, clock, notifier } = await setup({
      notify: { webhooks: [{ name: "ci", url: `${elsewhere.url}/nope`, secret_env: "HOOK_SECRET" }] },
    });
    const t = testTicket(core, { title: "Down", objective: "fix", priority: "P1" });
    await notifier.tick();
    clock.advance(3_600_000);
    await notifier.tick();
    const ci = core.notifications.forTicket(t.id).find((d) => d.target === "ci");
    expect(ci).toMatchObject({ status: "failed", attempts: 1, response_code: 404 });
  });

  test("nothing is sent twice: a restart finds the cursor, and a dead sender's claim runs out first", async () => {
    const { core, clock, slack, notifier, make } = await setup();
    testTicket(core, { title: "Down", objective: "fix", priority: "P1" });
    await notifier.tick();
    await notifier.tick();
    expect(await make().tick()).toEqual({ planned: 0, sent: 0 });
    expect(slack.received).toHaveLength(1);
    // Events no one is told of move the cursor too, unread.
    const note = core.tickets.addEvent(1, "note", "person", { text: "looking" });
    await notifier.tick();
    expect(core.notifications.cursor()).toBe(note.id);

    // A sender plans, claims, and dies before sending.
    testTicket(core, { title: "Also down", objective: "fix", priority: "P1" });
    const dying = make();
    expect(dying.planNew()).toBe(3);
    expect(core.notifications.claimDue(clock.now() + 25_000, 100)).toHaveLength(3);
    const next = make();
    expect((await next.tick()).sent).toBe(0);
    clock.advance(25_000);
    expect((await next.tick()).sent).toBe(3);
    expect(slack.received).toHaveLength(2);
  });

  test("a database upgraded with history announces only what happens afterwards", () => {
    const db = openDatabase(
      ":memory:",
      migrations.filter((m) => m.version < 11),
    );
    const core = createCore(db, new FakeClock());
    testTicket(core, { title: "Old news", objective: "fix", priority: "P1" });
    applyMigrations(db, migrations);
    expect(core.notifications.cursor()).toBe(core.tickets.recentEvents(1)[0]?.id as number);
  });

  test("a P2 opening is not news; its failure after give_up is", async () => {
    const { core, hook, notifier } = await setup();
    const t = testTicket(core, { title: "Slow", objective: "look", priority: "P2" });
    core.tickets.claimNext("w1", 60_000);
    core.tickets.addEvent(t.id, "tool_result", "w1", { name: "give_up", input: { reason: "no idea" } });
    core.tickets.transition(t.id, "failed", "w1", { leaseOwner: "w1", resolution: "gave up: no idea" });
    await notifier.tick();
    expect(hook.received.map((r) => r.json.event)).toEqual(["gave_up"]);
    expect(hook.received[0]?.json.detail).toBe("gave up: no idea");
  });

  test("the loop runs on the clock and stops cleanly", async () => {
    const { core, clock, slack, make } = await setup();
    const loop = make();
    loop.start();
    testTicket(core, { title: "Down", objective: "fix", priority: "P1" });
    clock.advance(2_000);
    await waitFor("the slack message", async () => slack.received.length === 1, 5_000, 10);
    await loop.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  test("the delivery log is in the API and on the ticket page", async () => {
    const { core, notifier } = await setup({ slackFails: 1 });
    const t = testTicket(core, { title: "Down", objective: "fix", priority: "P1" });
    await notifier.tick();
    const api = createApi({ core, token: TEST_TOKEN, health: () => ({ ok: true, roles: {} }) });
    const res = await api.handle(new Request(`http://localhost/api/v1/tickets/${t.id}/notifications`));
    const body = (await res.json()) as { data: { target: string; status: string; log: unknown[] }[] };
    expect(body.data.map((d) => [d.target, d.status, d.log.length])).toEqual([
      ["ops", "pending", 1],
      ["ci", "sent", 1],
      ["oncall", "sent", 1],
    ]);
    const one = await api.handle(new Request(`http://localhost/api/v1/tickets/${t.id}`));
    expect(((await one.json()) as { data: { notifications: unknown[] } }).data.notifications).toHaveLength(3);

    const web = dashboardRoutes({
      core,
      banner: () => ({ brain: "runbook", metrics: "embedded", logs: "embedded" }),
      instances: () => [],
      sessions: createSessions(TEST_TOKEN, () => core.clock.now()),
      metrics: null,
    });
    const page = await (await web.handle(new Request(`http://localhost/tickets/${t.id}`))).text();
    expect(page).toContain('id="notifications"');
    expect(page).toContain("slack:ops");
    expect(page).toContain("HTTP 500: internal error");
  });
});
