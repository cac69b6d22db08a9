import { RunbookBrain } from "../agent/brains/runbook";
import { type AgentDeps, createAgent } from "../agent/worker";
import type { Core } from "../core";
import { verifyTicket } from "../monitor/verify";
import type { MetricsBackend } from "../telemetry/types";
import { testCore } from "./core";
import { testTicket, upCriterion } from "./tickets";

/** A metrics backend with no data, for tickets whose tools never read metrics. */
export const emptyMetrics: MetricsBackend = {
  kind: "embedded",
  instantQuery: async () => ({ resultType: "vector", result: [] }),
  rangeQuery: async () => ({ resultType: "matrix", result: [] }),
};

/** The real agent loop with test-sized settings; tests override what they exercise. */
export function testAgent(core: Core, overrides: Partial<AgentDeps> = {}) {
  return createAgent({
    core,
    brain: new RunbookBrain(),
    metrics: emptyMetrics,
    supervisor: null,
    workers: 1,
    leaseMs: 60_000,
    pollMs: 10,
    maxSteps: 10,
    maxAttempts: 3,
    log: () => {},
    ...overrides,
  });
}

/** A real core where the runbook agent has worked `n` plain tickets and the monitor has verified them. */
export async function workedTickets(n = 1) {
  const { core } = testCore();
  const agent = testAgent(core);
  const ticketIds: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = testTicket(
      core,
      { title: `Review denials ${i}`, objective: "Look at the top keys", success_criteria: [upCriterion] },
      "test",
    );
    await agent.runOnce("w1");
    await verifyTicket(core, emptyMetrics, core.ruleStates, core.tickets.get(t.id), core.clock.now(), {
      timeoutMs: 60_000,
      maxAttempts: 3,
    });
    ticketIds.push(t.id);
  }
  return { core, ticketIds };
}
