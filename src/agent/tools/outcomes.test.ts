import { describe, expect, test } from "bun:test";
import { testAgent } from "../../testing/agent";
import { testCore } from "../../testing/core";
import { testTicket, upCriterion } from "../../testing/tickets";
import type { TicketStatus } from "../../tickets/model";
import type { Brain, BrainReply, BrainRequest, ToolContext } from "../types";
import { tools } from "./registry";

/** A ticket a worker holds, and the tools as the model calls them. */
function setup(criteria: (typeof upCriterion)[] = []) {
  const { core } = testCore();
  testTicket(
    core,
    { title: "Check p99", objective: "Confirm p99 is under 10ms", success_criteria: criteria },
    "api",
  );
  const t = core.tickets.claimNext("w", 60_000);
  if (!t) throw new Error("nothing to claim");
  const ctx = { core, ticket: t, metrics: {}, supervisor: null, workerId: "w" } as unknown as ToolContext;
  const call = (name: string, input: unknown) => {
    const tool = tools.find((x) => x.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    return tool.run(tool.input.parse(input), ctx);
  };
  return { core, t, call };
}

const p99 = {
  query: "histogram_quantile(0.99, sum by (le) (rate(ratelimiter_check_duration_seconds_bucket[5m])))",
  comparator: "<" as const,
  threshold: 0.01,
  for_seconds: 300,
};

describe("ending an attempt honestly", () => {
  test("finish is refused on a ticket without criteria, and allowed once it has some", async () => {
    const { call } = setup();
    const refused = await call("finish", { summary: "all good" });
    expect(refused.isError).toBe(true);
    expect(refused.control).toBeUndefined();
    expect(String(refused.output)).toContain("no success criteria");
    expect((await call("set_success_criteria", { criteria: [p99] })).isError).toBeUndefined();
    expect((await call("finish", { summary: "all good" })).control).toBe("finish");
  });

  test.each([
    ["a constant", "vector(1) > 0"],
    ["a scalar", "1"],
    ["a query that does not parse", "sum(("],
  ])("criteria that measure nothing are refused: %s", async (_name, query) => {
    const { core, t, call } = setup();
    const r = await call("set_success_criteria", { criteria: [{ query, comparator: ">", threshold: 0 }] });
    expect(r.isError).toBe(true);
    expect(core.tickets.get(t.id).success_criteria).toEqual([]);
  });

  test("criteria a ticket already has are never replaced by the agent's", async () => {
    const { core, t, call } = setup([upCriterion]);
    const r = await call("set_success_criteria", { criteria: [p99] });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.output)).toContain("cannot be replaced");
    expect(core.tickets.get(t.id).success_criteria).toEqual([upCriterion]);
  });

  test("criteria set by the agent are recorded on the ticket with who set them", async () => {
    const { core, t, call } = setup();
    await call("set_success_criteria", { criteria: [p99] });
    expect(core.tickets.get(t.id).success_criteria).toEqual([p99]);
    const e = core.tickets.events(t.id).find((x) => x.kind === "criteria_set");
    expect(e?.actor).toBe("w");
  });
});

/** A brain that plays back tool calls, one per turn. */
class Script implements Brain {
  readonly name = "runbook" as const;
  readonly model = "script";
  private n = 0;
  constructor(private readonly calls: [string, Record<string, unknown>][]) {}
  async reply(_r: BrainRequest): Promise<BrainReply> {
    const [name, input] = this.calls[this.n] ?? ["give_up", { reason: "script ran out" }];
    const id = `toolu_${this.n++}`;
    return {
      content: [{ type: "tool_use", id, name, input }],
      stop_reason: "tool_use",
      usage: { input_tokens: 0, output_tokens: 0 },
      model: this.model,
    };
  }
}

describe("outcomes in the loop", () => {
  test.each<[string, [string, Record<string, unknown>][], TicketStatus, RegExp]>([
    [
      "answer ends answered, never verifying",
      [["answer", { findings: "p99 is 4 ms (query_metrics at 12:00)" }]],
      "answered",
      /^answered: p99 is 4 ms/,
    ],
    [
      "needs_human waits for a person with the reason",
      [["needs_human", { reason: "asks for a contract decision" }]],
      "needs_human",
      /asks for a contract decision/,
    ],
    [
      "a finish without criteria is refused and the model must choose again",
      [
        ["finish", { summary: "done" }],
        ["answer", { findings: "nothing to fix" }],
      ],
      "answered",
      /nothing to fix/,
    ],
  ])("%s", async (_name, calls, status, resolution) => {
    const { core } = testCore();
    const t = testTicket(core, { title: "Check p99", objective: "Confirm p99 is under 10ms" }, "api");
    await testAgent(core, { brain: new Script(calls) }).runOnce("w1");
    const after = core.tickets.get(t.id);
    expect(after.status).toBe(status);
    expect(after.resolution).toMatch(resolution);
  });
});
