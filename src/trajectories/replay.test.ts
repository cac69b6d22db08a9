import { expect, test } from "bun:test";
import { RunbookBrain } from "../agent/brains/runbook";
import type { MetricsBackend } from "../telemetry/types";
import { testAgent } from "../testing/agent";
import { testCore } from "../testing/core";
import { testTicket } from "../testing/tickets";
import { trajectoryContext } from "./context";
import { trajectories } from "./export";
import { replayEpisode } from "./replay";

test("an episode replays through the real loop with the same tool calls", async () => {
  const { core } = testCore();
  const metrics: MetricsBackend = {
    kind: "embedded",
    instantQuery: async () => ({ resultType: "vector", result: [{ labels: {}, t: 0, v: 0.5 }] }),
    rangeQuery: async () => ({ resultType: "matrix", result: [] }),
  };
  const agent = testAgent(core, {
    brain: new RunbookBrain(),
    metrics,
  });
  testTicket(
    core,
    {
      title: "Denials high",
      objective: "o",
      success_criteria: [{ query: "ratio", comparator: "<", threshold: 0.1 }],
    },
    "test",
  );
  await agent.runOnce("w");
  const [record] = [...trajectories(core, trajectoryContext(), { includeUnfinished: true })];
  if (!record) throw new Error("no episode");
  expect(record.steps.flatMap((s) => s.tool_calls.map((c) => c.name))).toEqual([
    "query_metrics",
    "service_status",
    "add_note",
    "request_approval",
  ]);
  const replay = await replayEpisode(record, "recorded");
  expect(replay.matches).toBe(true);
  expect(replay.final_status).toBe("awaiting_approval");
  // Today's runbook, in an empty environment, sees the criterion without data and decides differently.
  const fresh = await replayEpisode(record, "runbook");
  expect(fresh.replayed_tools[0]).toBe("query_metrics");
});
