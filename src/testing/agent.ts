import { RunbookBrain } from "../agent/brains/runbook";
import { type AgentDeps, createAgent } from "../agent/worker";
import type { Core } from "../core";
import type { MetricsBackend } from "../telemetry/types";

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
