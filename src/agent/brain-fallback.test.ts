import { afterEach, describe, expect, test } from "bun:test";
import { testAgent } from "../testing/agent";
import { testCore } from "../testing/core";
import {
  type FakeAnthropic,
  type ScriptedTurn,
  startFakeAnthropic,
  toolTurn,
} from "../testing/fake-anthropic";
import { waitFor } from "../testing/ports";
import { testTicket, upCriterion } from "../testing/tickets";
import { buildTrajectory, splitAttempts } from "../trajectories/build";
import { ClaudeBrain } from "./brains/claude";
import { type BrainHealth, createBrainHealth } from "./brains/health";
import { RunbookBrain } from "./brains/runbook";

/**
 * The agent with a Claude brain that cannot answer (a wrong key, an unreachable URL, an outage in the middle
 * of an attempt), against a local server speaking the real Messages API: who takes the ticket, what the
 * ticket records, and that its attempts are not spent on the outage.
 */

const KEY = "sk-test-fake-key-000";
const MODEL = "claude-sonnet-4-6";
const pong: ScriptedTurn = { content: [{ type: "text", text: "p" }], stop_reason: "max_tokens" };

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function fake(script: ScriptedTurn[]): Promise<FakeAnthropic> {
  const f = await startFakeAnthropic(script, { apiKey: KEY, probes: "script" });
  cleanup.push(() => f.stop());
  return f;
}

async function closedUrl(): Promise<string> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  await s.stop(true);
  return url;
}

function setup(baseURL: string, opts: { key?: string; fallback: boolean; maxAttempts?: number }) {
  const { core, clock } = testCore();
  // No retries inside the brain: each failure here is one request, so the script lines up with the calls.
  const claude = new ClaudeBrain({ apiKey: opts.key ?? KEY, baseURL, model: MODEL, maxRetries: 0, clock });
  const health: BrainHealth = createBrainHealth({ probe: () => claude.probe(), clock });
  cleanup.push(() => health.stop());
  const agent = testAgent(core, {
    brain: claude,
    health,
    fallback: opts.fallback ? new RunbookBrain() : null,
    maxAttempts: opts.maxAttempts ?? 3,
  });
  const t = testTicket(core, {
    title: "Check the limiter",
    objective: "Make sure it is up",
    success_criteria: [upCriterion],
  });
  return { core, clock, health, agent, t };
}

const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);

describe("brain fallback", () => {
  test("a wrong key: nothing is claimed before the probe; then the runbook takes the ticket, and says so", async () => {
    const f = await fake([]);
    const { core, health, agent, t } = setup(f.url, { key: "sk-wrong", fallback: true });

    expect(await agent.runOnce("w1")).toBeNull();
    expect(core.tickets.get(t.id)).toMatchObject({ status: "pending", attempts: 0 });

    await health.check();
    expect(health.state()).toMatchObject({ status: "down", kind: "auth" });
    expect(await agent.runOnce("w1")).toBe(t.id);

    const events = core.tickets.events(t.id);
    const fallback = events.find((e) => e.kind === "brain_fallback");
    expect(fallback?.data).toMatchObject({ configured: "claude", brain: "runbook", attempt: 1 });
    expect(String(fallback?.data.reason)).toContain("401 authentication_error");
    const turns = events.filter((e) => e.kind === "brain_turn");
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.every((e) => e.data.brain === "runbook")).toBe(true);
    expect(events.find((e) => e.kind === "agent_context")?.data.brain).toBe("runbook");
    expect(core.tickets.get(t.id).status).not.toBe("pending");
    // Only the probe reached the API; the trajectory says truthfully who worked the ticket.
    expect(f.requests).toHaveLength(1);
    const ticket = core.tickets.get(t.id);
    const attempt = splitAttempts(events)[0] ?? [];
    const record = buildTrajectory(
      { systemPrompt: "", tools: [], harnessVersion: "test" },
      ticket,
      null,
      attempt,
      1,
      true,
    );
    expect(record.brain).toBe("runbook");
  });

  test("fallback none and an unreachable URL: tickets wait, unclaimed, their attempts untouched", async () => {
    const { core, health, agent, t } = setup(await closedUrl(), { fallback: false, maxAttempts: 1 });
    await health.check();
    expect(health.state()).toMatchObject({ status: "down", kind: "unreachable" });
    for (let i = 0; i < 5; i++) expect(await agent.runOnce("w1")).toBeNull();
    expect(core.tickets.get(t.id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(kinds(core.tickets.events(t.id)).filter((k) => k === "status_changed")).toHaveLength(0);
  });

  test("an outage mid-attempt returns the ticket uncounted; Claude takes it again once a probe answers", async () => {
    const overloaded: ScriptedTurn = { status: 529, error_type: "overloaded_error", message: "Overloaded" };
    const f = await fake([
      pong, // the probe at start
      { status: 503, error_type: "api_error", message: "upstream connect error" }, // the attempt's call
      overloaded, // the probe that call's failure triggers
      overloaded, // the re-probe 5 s later
      pong, // the re-probe 10 s after that
      toolTurn("toolu_1", "finish", { summary: "It is up." }),
    ]);
    // One attempt allowed: had the outage counted, the ticket would have failed.
    const { core, clock, health, agent, t } = setup(f.url, { fallback: false, maxAttempts: 1 });
    await health.check();
    expect(health.state().status).toBe("up");

    expect(await agent.runOnce("w1")).toBe(t.id);
    expect(core.tickets.get(t.id)).toMatchObject({ status: "pending", attempts: 0 });
    const events = core.tickets.events(t.id);
    expect(kinds(events)).not.toContain("agent_error");
    expect(events.find((e) => e.kind === "brain_unavailable")?.data).toMatchObject({
      brain: "claude",
      error: "Claude API 503 api_error: upstream connect error",
      reason: "Claude API 529 overloaded_error: Overloaded",
      kind: "overloaded",
      attempt: 1,
      next: "waits",
    });
    expect(events.findLast((e) => e.kind === "status_changed")?.data).toMatchObject({
      from: "in_progress",
      to: "pending",
      uncounted: true,
    });
    expect(health.state()).toMatchObject({ status: "down", failures: 1 });

    // Down, no fallback: the ticket waits while the probes back off.
    expect(await agent.runOnce("w1")).toBeNull();
    await clock.advanceAsync(5_000);
    await waitFor("the first re-probe", async () => health.state().failures === 2);
    expect(health.state().status).toBe("down");
    await clock.advanceAsync(10_000);
    await waitFor("the brain back up", async () => health.state().status === "up");

    expect(await agent.runOnce("w1")).toBe(t.id);
    expect(core.tickets.get(t.id)).toMatchObject({
      status: "verifying",
      attempts: 1,
      resolution: "It is up.",
    });
    const after = core.tickets.events(t.id);
    expect(after.findLast((e) => e.kind === "brain_turn")?.data.brain).toBe("claude");
    expect(f.remaining()).toBe(0);
  });

  test("a failure the probe does not confirm is the ticket's own, and counts", async () => {
    const f = await fake([
      pong,
      {
        status: 400,
        error_type: "invalid_request_error",
        message: "prompt is too long: 210000 tokens > 200000",
      },
      pong,
    ]);
    const { core, health, agent, t } = setup(f.url, { fallback: true });
    await health.check();
    expect(await agent.runOnce("w1")).toBe(t.id);
    expect(health.state().status).toBe("up");
    expect(core.tickets.get(t.id)).toMatchObject({ status: "pending", attempts: 1 });
    const events = core.tickets.events(t.id);
    expect(kinds(events)).toContain("agent_error");
    expect(kinds(events)).not.toContain("brain_unavailable");
    expect(f.remaining()).toBe(0);
  });
});
