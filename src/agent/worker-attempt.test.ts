import { expect, test } from "bun:test";
import { testAgent } from "../testing/agent";
import { testCore } from "../testing/core";
import { waitFor } from "../testing/ports";
import { testTicket } from "../testing/tickets";
import type { Brain, BrainReply, BrainRequest, ContentBlock } from "./types";

/** A brain that plays its turns in order; a turn may wait, or move the fake clock, before it answers. */
class ScriptedBrain implements Brain {
  readonly name = "runbook" as const;
  readonly model = "scripted";
  calls = 0;
  constructor(private readonly turns: ((req: BrainRequest) => Promise<ContentBlock[]> | ContentBlock[])[]) {}
  async reply(req: BrainRequest): Promise<BrainReply> {
    const turn = this.turns[this.calls++];
    if (!turn) throw new Error(`the script has no turn ${this.calls}`);
    return {
      content: await turn(req),
      stop_reason: "tool_use",
      usage: { input_tokens: 1, output_tokens: 1 },
      model: this.model,
    };
  }
}

const call = (id: string, name: string, input: Record<string, unknown>): ContentBlock[] => [
  { type: "tool_use", id, name, input },
];

test("a lease lost while the brain thinks: no tool runs, nothing moves, the attempt is abandoned", async () => {
  const { core, clock } = testCore();
  let answer: () => void = () => {};
  const answered = new Promise<void>((r) => {
    answer = r;
  });
  const brain = new ScriptedBrain([
    async () => {
      await answered;
      return call("toolu_1", "add_note", { text: "acting on a ticket that is no longer mine" });
    },
    () => call("toolu_2", "finish", { summary: "done" }),
  ]);
  const agent = testAgent(core, { brain, leaseMs: 60_000 });
  const t = testTicket(core, { title: "slow thought", objective: "o" });
  const run = agent.runOnce("w1");
  await waitFor("brain asked", async () => brain.calls === 1, 2_000, 5);
  // The worker stalled past its lease; the monitor expired it and another worker took the ticket.
  clock.advance(60_001);
  core.tickets.expireLeases();
  expect(core.tickets.claimNext("w2", 60_000)?.id).toBe(t.id);
  const before = core.tickets.events(t.id).length;
  answer();
  await run;

  const after = core.tickets.events(t.id).slice(before);
  expect(after.map((e) => `${e.kind}:${e.actor}`)).toEqual(["attempt_abandoned:w1"]);
  expect(after[0]?.data).toMatchObject({ reason: "lease lost", attempt: 1 });
  expect(brain.calls).toBe(1);
  const now = core.tickets.get(t.id);
  expect(now.status).toBe("in_progress");
  expect(now.lease_owner).toBe("w2");
});

test("a lease lost during a long wait stops the attempt at once, without waiting for the brain", async () => {
  const { core, clock } = testCore();
  const brain = new ScriptedBrain([() => new Promise<ContentBlock[]>(() => {})]);
  // Renewed every 50 ms: the renewal is what notices.
  const agent = testAgent(core, { brain, leaseMs: 150 });
  const t = testTicket(core, { title: "brain never answers", objective: "o" });
  const run = agent.runOnce("w1");
  await waitFor("brain asked", async () => brain.calls === 1, 2_000, 5);
  clock.advance(151);
  core.tickets.expireLeases();
  core.tickets.claimNext("w2", 60_000);
  const ended = await Promise.race([run.then(() => "ended"), Bun.sleep(2_000).then(() => "still waiting")]);
  expect(ended).toBe("ended");
  const last = core.tickets.events(t.id).at(-1);
  expect(last?.kind).toBe("attempt_abandoned");
  expect(last?.actor).toBe("w1");
  expect(core.tickets.get(t.id).lease_owner).toBe("w2");
});

test("a ticket whose worker keeps crashing fails after max_attempts instead of being claimed again", async () => {
  const { core, clock } = testCore();
  const brain = new ScriptedBrain([]);
  const agent = testAgent(core, { brain, maxAttempts: 3 });
  const t = testTicket(core, { title: "crashes the process", objective: "o" });
  // Three workers died on it; the monitor's expiry put it back each time.
  for (let i = 0; i < 3; i++) {
    core.tickets.claimNext(`dead-${i}`, 60_000);
    clock.advance(60_001);
    core.tickets.expireLeases();
  }
  expect(await agent.runOnce("w1")).toBeNull();
  expect(brain.calls).toBe(0);
  const after = core.tickets.get(t.id);
  expect(after.status).toBe("failed");
  expect(after.attempts).toBe(3);
  expect(after.resolution).toBe(
    "gave up after 3 attempts: the last 3 ended without a result (lease expired)",
  );
});

test("the wall-time budget spans attempts: a resume continues it, the wait for a person does not count", async () => {
  const { core, clock } = testCore();
  const brain = new ScriptedBrain([
    () => {
      clock.advance(50_000);
      return call("toolu_1", "request_approval", { action: "restart_service", reason: "to clear it" });
    },
    () => {
      clock.advance(20_000);
      return call("toolu_2", "add_note", { text: "approved; looking further" });
    },
    () => call("toolu_3", "finish", { summary: "should not get here: 70 s of work is over budget" }),
  ]);
  const agent = testAgent(core, { brain, budget: { maxWallMs: 60_000 } });
  const t = testTicket(core, { title: "needs a person", objective: "o" });
  await agent.runOnce("w1");
  expect(core.tickets.get(t.id).status).toBe("awaiting_approval");
  clock.advance(3_600_000); // the person takes an hour
  core.approvals.decide(t.id, true, "alice");
  await agent.runOnce("w1");

  // 50 s before the pause is under the limit, so the resumed attempt thinks once; 70 s is over it.
  expect(brain.calls).toBe(2);
  const after = core.tickets.get(t.id);
  expect(after.status).toBe("failed");
  expect(after.resolution).toBe("budget exhausted: 70000 ms of wall time (max 60000)");
  const events = core.tickets.events(t.id);
  expect(events.find((e) => e.kind === "budget_exhausted")?.data).toMatchObject({
    steps: 2,
    wall_ms: 70_000,
  });
  // Durations come from the same clock as the events' times.
  expect(events.filter((e) => e.kind === "brain_turn").map((e) => e.data.duration_ms)).toEqual([
    50_000, 20_000,
  ]);
});
