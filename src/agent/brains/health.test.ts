import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../lib/clock";
import {
  afterProbe,
  type BrainState,
  brainBanner,
  brainDegradation,
  brainReport,
  chooseBrain,
  createBrainHealth,
  defaultBackoff,
  initialBrainState,
  type ProbeResult,
  probeDelayMs,
} from "./health";

const T0 = Date.UTC(2026, 0, 1);
const badKey: ProbeResult = {
  ok: false,
  reason: "Claude API 401 authentication_error: invalid x-api-key — check ANTHROPIC_API_KEY",
  kind: "auth",
};
const state = (over: Partial<BrainState>): BrainState => ({ ...initialBrainState(T0), ...over });
const up = state({ status: "up" });
const down = state({ status: "down", reason: "Claude API unreachable", kind: "unreachable", failures: 1 });
const unknown = initialBrainState(T0);

describe("brain health decisions", () => {
  test.each([
    [1, 5_000],
    [2, 10_000],
    [3, 20_000],
    [6, 160_000],
    [7, 300_000],
    [40, 300_000],
  ])("after %i failed probes the next waits %i ms", (failures, ms) => {
    expect(probeDelayMs(failures, defaultBackoff)).toBe(ms);
  });

  test("a probe moves the state; since moves only when the status changes", () => {
    const first = afterProbe(unknown, badKey, T0 + 1_000, defaultBackoff);
    expect(first).toEqual({
      status: "down",
      reason: badKey.ok ? null : badKey.reason,
      kind: "auth",
      since: T0 + 1_000,
      failures: 1,
      nextProbeAt: T0 + 6_000,
    });
    const again = afterProbe(first, badKey, T0 + 6_000, defaultBackoff);
    expect(again).toMatchObject({ since: T0 + 1_000, failures: 2, nextProbeAt: T0 + 16_000 });
    const back = afterProbe(again, { ok: true }, T0 + 16_000, defaultBackoff);
    expect(back).toEqual({
      status: "up",
      reason: null,
      kind: null,
      since: T0 + 16_000,
      failures: 0,
      nextProbeAt: null,
    });
    expect(afterProbe(back, { ok: true }, T0 + 99_000, defaultBackoff).since).toBe(T0 + 16_000);
  });

  test.each([
    ["up", "runbook", up, { take: "configured" }],
    ["up", "none", up, { take: "configured" }],
    ["down", "runbook", down, { take: "fallback", reason: "Claude API unreachable" }],
    ["down", "none", down, { take: "wait", reason: "Claude API unreachable" }],
    [
      "unknown",
      "runbook",
      unknown,
      { take: "wait", reason: "the brain has not answered its first probe yet" },
    ],
    ["unknown", "none", unknown, { take: "wait", reason: "the brain has not answered its first probe yet" }],
  ] as const)("brain %s, fallback %s: who takes the next ticket", (_, fallback, s, want) => {
    expect(chooseBrain(s, fallback)).toEqual(want);
  });

  const claude = { name: "claude", model: "claude-sonnet-4-6" };
  test.each([
    ["up", "runbook", up, "claude", null, { brain: "claude (claude-sonnet-4-6)" }],
    [
      "unknown",
      "runbook",
      unknown,
      "none",
      null,
      { brain: "claude (claude-sonnet-4-6)", warning: "checking that it answers" },
    ],
    [
      "down",
      "runbook",
      down,
      "runbook",
      "brain claude is down (Claude API unreachable); the runbook is taking tickets",
      {
        brain: "claude (claude-sonnet-4-6)",
        warning: "down (Claude API unreachable), runbook is taking tickets",
      },
    ],
    [
      "down",
      "none",
      down,
      "none",
      "brain claude is down (Claude API unreachable); tickets wait for it",
      { brain: "claude (claude-sonnet-4-6)", warning: "down (Claude API unreachable), tickets wait for it" },
    ],
  ] as const)("report of a brain %s with fallback %s", (_, fallback, s, taking, degraded, banner) => {
    const r = brainReport(claude, s, fallback);
    expect(r.taking_tickets).toBe(taking);
    expect(r.status).toBe(s.status);
    expect(brainDegradation(r)).toBe(degraded);
    expect(brainBanner(r)).toEqual(banner);
  });

  test("the runbook has no health: always up, always taking its tickets", () => {
    const r = brainReport({ name: "runbook", model: "runbook-v1" }, null, "runbook");
    expect(r).toMatchObject({ status: "up", reason: null, since: null, taking_tickets: "runbook" });
    expect(brainDegradation(r)).toBeNull();
    expect(brainBanner(r)).toEqual({ brain: "runbook" });
  });
});

describe("createBrainHealth", () => {
  /** A probe that answers from a list, last answer repeated, counting its calls. */
  function scripted(answers: ProbeResult[]) {
    let calls = 0;
    return {
      probe: async () => answers[Math.min(calls++, answers.length - 1)] as ProbeResult,
      calls: () => calls,
    };
  }

  test("while down it re-probes on a doubling, capped backoff, and stops once the brain answers", async () => {
    const clock = new FakeClock(T0);
    const p = scripted([badKey, badKey, badKey, { ok: true }]);
    const changes: string[] = [];
    const health = createBrainHealth({
      probe: p.probe,
      clock,
      backoff: { initialMs: 5_000, maxMs: 12_000 },
      onChange: (now) => changes.push(now.status),
    });
    expect(health.state().status).toBe("unknown");
    await health.check();
    expect(health.state()).toMatchObject({ status: "down", kind: "auth", nextProbeAt: T0 + 5_000 });

    await clock.advanceAsync(4_999);
    expect(p.calls()).toBe(1);
    await clock.advanceAsync(1);
    expect(p.calls()).toBe(2);
    expect(health.state()).toMatchObject({
      status: "down",
      since: T0,
      failures: 2,
      nextProbeAt: T0 + 15_000,
    });
    await clock.advanceAsync(10_000);
    expect(p.calls()).toBe(3);
    // Capped: 5 s, 10 s, then 12 s instead of 20 s.
    expect(health.state().nextProbeAt).toBe(T0 + 27_000);
    await clock.advanceAsync(12_000);
    expect(health.state()).toMatchObject({ status: "up", since: T0 + 27_000, nextProbeAt: null });
    expect(changes).toEqual(["down", "up"]);

    // Up: nothing more is scheduled; only a failed call (check) probes again.
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(600_000);
    expect(p.calls()).toBe(4);
  });

  test("callers at the same time share one probe; a probe that throws counts as down", async () => {
    const clock = new FakeClock(T0);
    let calls = 0;
    let release: () => void = () => {};
    const health = createBrainHealth({
      clock,
      probe: () => {
        calls++;
        return new Promise<ProbeResult>((_, reject) => {
          release = () => reject(new Error("socket hang up"));
        });
      },
    });
    const a = health.check();
    const b = health.check();
    release();
    const [sa, sb] = await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(sa).toBe(sb);
    expect(sa).toMatchObject({ status: "down", reason: "probe failed: socket hang up", kind: "rejected" });
  });

  test("a check while down probes at once and re-arms the backoff; stop clears the timer", async () => {
    const clock = new FakeClock(T0);
    const p = scripted([badKey]);
    const health = createBrainHealth({ probe: p.probe, clock });
    await health.check();
    await clock.advanceAsync(1_000);
    await health.check();
    expect(p.calls()).toBe(2);
    expect(clock.pendingTimers).toBe(1);
    expect(health.state().nextProbeAt).toBe(T0 + 1_000 + 10_000);
    health.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(60_000);
    expect(p.calls()).toBe(2);
  });
});
