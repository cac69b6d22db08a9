import { afterAll, expect, test } from "bun:test";
import type { MetricsBackend } from "../telemetry/types";
import { testAgent } from "../testing/agent";
import { testCore } from "../testing/core";
import { startFakeAnthropic } from "../testing/fake-anthropic";
import { waitFor } from "../testing/ports";
import { testTicket, upCriterion } from "../testing/tickets";
import { ClaudeBrain } from "./brains/claude";
import type { Brain, BrainReply, BrainRequest } from "./types";

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

test("several tool calls in one turn run in parallel, and their results go back together, in order", async () => {
  const { core } = testCore();
  let inFlight = 0;
  let most = 0;
  const seen: string[] = [];
  // A backend that holds each query until a second one has arrived, or 2 s: only parallel calls are quick.
  let release: () => void = () => {};
  const bothIn = new Promise<void>((r) => {
    release = r;
  });
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async (q, t) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push(q);
      if (inFlight >= 2) release();
      await Promise.race([bothIn, Bun.sleep(2_000)]);
      inFlight--;
      return { resultType: "scalar", result: { t, v: q.length } };
    },
    rangeQuery: async () => ({ resultType: "matrix", result: [] }),
  };
  const fake = await startFakeAnthropic([
    {
      content: [
        { type: "text", text: "Two things to look at." },
        { type: "tool_use", id: "toolu_a", name: "query_metrics", input: { query: "vector(1)" } },
        { type: "tool_use", id: "toolu_b", name: "query_metrics", input: { query: "vector(22)" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 10, output_tokens: 10 },
    },
    {
      content: [{ type: "tool_use", id: "toolu_c", name: "finish", input: { summary: "Looked at both." } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 10, output_tokens: 5 },
    },
  ]);
  stops.push(fake.stop);
  const agent = testAgent(core, {
    brain: new ClaudeBrain({
      apiKey: "test-key",
      baseURL: fake.url,
      model: "claude-sonnet-4-6",
      retryBaseMs: 1,
    }),
    metrics,
  });
  const t = testTicket(
    core,
    { title: "Look", objective: "Check two queries", priority: "P3", success_criteria: [upCriterion] },
    "test",
  );
  await agent.runOnce("w1");
  expect(most).toBe(2);
  expect(seen.filter((q) => q.startsWith("vector")).sort()).toEqual(["vector(1)", "vector(22)"]);
  const second = fake.requests[1]?.body as {
    messages: { role: string; content: { type: string; tool_use_id?: string }[] }[];
  };
  const last = second.messages.at(-1);
  expect(last?.role).toBe("user");
  expect(last?.content.map((c) => `${c.type}:${c.tool_use_id}`)).toEqual([
    "tool_result:toolu_a",
    "tool_result:toolu_b",
  ]);
  expect(core.tickets.get(t.id).status).toBe("verifying");
});

/** A brain that holds one ticket until told, and finishes every other ticket at once. */
class GatedBrain implements Brain {
  readonly name = "runbook" as const;
  readonly model = "gated";
  private open: () => void = () => {};
  readonly gate = new Promise<void>((r) => {
    this.open = r;
  });
  constructor(private readonly heldTitle: string) {}
  release(): void {
    this.open();
  }
  async reply(req: BrainRequest): Promise<BrainReply> {
    if (req.ticket.title === this.heldTitle) await this.gate;
    return {
      content: [
        { type: "tool_use", id: `toolu_${req.ticket.id}`, name: "finish", input: { summary: "done" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 1, output_tokens: 1 },
      model: this.model,
    };
  }
}

test("with two workers, a P1 that arrives while a P4 is being worked is taken at once by the free worker", async () => {
  const { core } = testCore();
  const brain = new GatedBrain("slow review");
  const agent = testAgent(core, { brain, workers: 2, pollMs: 5 });
  const p4 = testTicket(
    core,
    { title: "slow review", objective: "weekly review", priority: "P4", success_criteria: [upCriterion] },
    "test",
  );
  agent.start();
  try {
    await waitFor("P4 claimed", async () => core.tickets.get(p4.id).status === "in_progress", 5_000, 5);
    const p1 = testTicket(
      core,
      { title: "instance down", objective: "restart it", priority: "P1", success_criteria: [upCriterion] },
      "test",
    );
    await waitFor("P1 finished", async () => core.tickets.get(p1.id).status === "verifying", 5_000, 5);
    // The P1 did not wait for the P4: that one is still being worked.
    expect(core.tickets.get(p4.id).status).toBe("in_progress");
    expect(core.tickets.get(p1.id).lease_owner).toBeNull();
    const owners = core.tickets
      .events(p1.id)
      .filter((e) => e.kind === "status_changed" && e.data.reason === "claimed")
      .map((e) => e.actor);
    const p4Owner = core.tickets.get(p4.id).lease_owner;
    expect(owners.length).toBe(1);
    expect(owners[0]).not.toBe(p4Owner);
  } finally {
    brain.release();
    await waitFor("P4 finished", async () => core.tickets.get(p4.id).status === "verifying", 5_000, 5);
    await agent.stop();
  }
});
