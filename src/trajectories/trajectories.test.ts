import { afterAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { testAgent, workedTickets } from "../testing/agent";
import { testCore } from "../testing/core";
import { startFakeAnthropic } from "../testing/fake-anthropic";
import { testTicket, upCriterion } from "../testing/tickets";
import { trajectoryContext } from "./context";
import { exportLines, trajectories } from "./export";
import { parseTrajectoryFilter } from "./filter";

async function workedTicket() {
  const { core, ticketIds } = await workedTickets(1);
  return { core, ticketId: ticketIds[0] as number };
}

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

describe("trajectories", () => {
  test("native record of a worked ticket has steps, verification and reward", async () => {
    const { core, ticketId } = await workedTicket();
    expect(core.tickets.get(ticketId).status).toBe("completed");
    const [rec, ...rest] = [...trajectories(core, trajectoryContext())];
    expect(rest).toEqual([]);
    expect(rec?.schema).toBe("harness.trajectory/v2");
    expect(rec?.outcome).toBe("completed");
    expect(rec?.brain).toBe("runbook");
    // The runbook reads the ticket's criterion and the service, then finishes: the criterion already holds.
    expect(rec?.steps.map((s) => s.tool_calls.map((c) => c.name))).toEqual([
      ["query_metrics", "service_status"],
      ["finish"],
    ]);
    expect(rec?.verification?.result).toBe("passed");
    // The criterion already held and the runbook changed nothing: verified, but no fix.
    expect(rec?.reward.class).toBe("verified_no_change");
    expect(rec?.reward.components).toMatchObject({ verified: true, resolved: true, changed: false });
    // The runbook's turns are not model calls.
    expect(rec?.steps.map((s) => s.llm_call_count)).toEqual([0, 0]);
    // The monitor snapshots the golden signals; the empty test backend has no data for any of them.
    expect(rec?.verification?.golden_after).toMatchObject({ rate: null, p99_s: null, instances_up: null });
    expect(rec?.verification?.golden_before?.at).toBeLessThanOrEqual(
      rec?.verification?.golden_after?.at ?? 0,
    );
    expect(rec?.initial_state.context_message).not.toBeNull();
    expect(rec?.tools.map((t) => t.name)).toContain("query_metrics");
  });

  test("filters by outcome and brain", async () => {
    const { core } = await workedTicket();
    const ctx = trajectoryContext();
    expect([...trajectories(core, ctx, { outcome: "failed" })]).toEqual([]);
    expect([...trajectories(core, ctx, { brain: "claude" })]).toEqual([]);
    expect([...trajectories(core, ctx, { brain: "runbook" })].length).toBe(1);
  });

  test("anthropic export is accepted by the Messages API wire format (tool_use/tool_result pairing)", async () => {
    const { core } = await workedTicket();
    const [line] = [...exportLines(core, trajectoryContext(), "anthropic", {})];
    const episode = JSON.parse(line as string);
    const fake = await startFakeAnthropic([
      { content: [{ type: "text", text: "ok" }], stop_reason: "end_turn" },
    ]);
    stops.push(fake.stop);
    const client = new Anthropic({ apiKey: "k", baseURL: fake.url, maxRetries: 0 });
    const reply = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      system: episode.system,
      tools: episode.tools,
      messages: episode.messages,
    });
    expect(reply.content[0]).toMatchObject({ type: "text", text: "ok" });
    expect(episode.messages[0].role).toBe("user");
    expect(episode.messages.at(-1).content[0].type).toBe("tool_result");
  });

  test("openai export follows the chat fine-tuning shape", async () => {
    const { core } = await workedTicket();
    const [line] = [...exportLines(core, trajectoryContext(), "openai", {})];
    const row = JSON.parse(line as string) as {
      messages: {
        role: string;
        tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
        tool_call_id?: string;
      }[];
      tools: { type: string; function: { name: string; parameters: unknown } }[];
    };
    expect(row.messages[0]?.role).toBe("system");
    const calls = row.messages.flatMap((m) => m.tool_calls ?? []);
    expect(
      calls.every((c) => c.type === "function" && typeof JSON.parse(c.function.arguments) === "object"),
    ).toBe(true);
    // Every tool call but the last turn's is answered by a tool message with its id, in order; the example ends
    // on the assistant's own last turn (its finish call), which is what fine-tuning trains it to say.
    const answered = row.messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id);
    const last = row.messages.at(-1);
    expect(last?.role).toBe("assistant");
    expect(last?.tool_calls?.map((c) => c.function.name)).toEqual(["finish"]);
    expect(answered).toEqual(calls.slice(0, -1).map((c) => c.id));
    expect(row.tools.every((t) => t.type === "function")).toBe(true);
  });
});

test("an episode still being verified is left out of exports unless asked for", async () => {
  const { core } = testCore();
  const t = testTicket(
    core,
    { title: "Restart", objective: "bring it up", success_criteria: [upCriterion] },
    "test",
  );
  await testAgent(core).runOnce("w1");
  expect(core.tickets.get(t.id).status).toBe("verifying");
  const ctx = trajectoryContext();
  expect([...trajectories(core, ctx)]).toEqual([]);
  const withUnfinished = [...trajectories(core, ctx, parseTrajectoryFilter({ include_unfinished: "1" }))];
  expect(withUnfinished.map((r) => r.outcome)).toEqual(["in_progress"]);
  expect([...trajectories(core, ctx, { outcome: "in_progress" })]).toHaveLength(1);
});
