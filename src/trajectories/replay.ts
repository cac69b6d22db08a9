import { RunbookBrain } from "../agent/brains/runbook";
import type { Brain, BrainReply, BrainRequest } from "../agent/types";
import { createAgent } from "../agent/worker";
import { createCore } from "../core";
import { openDatabase } from "../db/open";
import { FakeClock, systemClock } from "../lib/clock";
import type { MetricsBackend } from "../telemetry/types";
import type { TrajectoryRecord } from "./record";

/** Plays an episode's recorded brain turns back, in order, whatever the environment answers. */
export class RecordedBrain implements Brain {
  readonly name: "runbook" | "claude";
  readonly model: string;
  private next = 0;
  constructor(private readonly record: TrajectoryRecord) {
    this.name = record.brain === "claude" ? "claude" : "runbook";
    this.model = record.model ?? "recorded";
  }
  async reply(_req: BrainRequest): Promise<BrainReply> {
    const step = this.record.steps[this.next++];
    if (!step) {
      return {
        content: [
          { type: "tool_use", id: "replay_end", name: "give_up", input: { reason: "the recording ended" } },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 0, output_tokens: 0 },
        model: this.model,
      };
    }
    return {
      content: step.content as BrainReply["content"],
      stop_reason: (step.stop_reason ?? "tool_use") as BrainReply["stop_reason"],
      usage: { input_tokens: step.usage.input_tokens, output_tokens: step.usage.output_tokens },
      model: this.model,
    };
  }
}

export interface ReplayReport {
  episode_id: string;
  mode: "recorded" | "runbook";
  /** The recording replayed (the record's replay.recording_id), so results name what they reproduced. */
  recording_id: string | null;
  recorded_tools: string[];
  replayed_tools: string[];
  matches: boolean;
  final_status: string;
}

/**
 * Re-runs an episode's brain side against a fresh environment (an empty in-memory store, no service):
 * `recorded` feeds the recorded turns through the real loop; `runbook` asks today's runbook brain the same
 * ticket, so a changed policy can be compared with what was recorded.
 */
export async function replayEpisode(
  record: TrajectoryRecord,
  mode: "recorded" | "runbook" = "recorded",
): Promise<ReplayReport> {
  const clock = new FakeClock(record.started_at ?? systemClock.now());
  const core = createCore(openDatabase(":memory:"), clock);
  const empty: MetricsBackend = {
    kind: "embedded",
    instantQuery: async () => ({ resultType: "vector", result: [] }),
    rangeQuery: async () => ({ resultType: "matrix", result: [] }),
  };
  // The episode's ticket is the observation here: the replay reopens what the recording started from.
  const ticket = core.intake.open({
    actor: "replay",
    observation: {
      rule_kind: "replay",
      rule: record.episode_id,
      query: "",
      value: null,
      labels: {},
      data: { episode_id: record.episode_id },
    },
    ticket: {
      title: record.initial_state.title,
      objective: record.initial_state.objective,
      priority: record.initial_state.priority as "P1" | "P2" | "P3" | "P4",
      success_criteria: record.initial_state.success_criteria as never,
      source: "agent",
      context: { replay_of: record.episode_id },
    },
  });
  const agent = createAgent({
    core,
    brain: mode === "recorded" ? new RecordedBrain(record) : new RunbookBrain(),
    metrics: empty,
    supervisor: null,
    workers: 1,
    leaseMs: 60_000,
    pollMs: 10,
    maxSteps: Math.max(1, record.steps.length + 1),
    maxAttempts: 1,
    log: () => {},
  });
  await agent.runOnce("replay");
  const replayed = core.tickets
    .events(ticket.id)
    .filter((e) => e.kind === "brain_turn")
    .flatMap((e) =>
      (e.data.content as { type: string; name?: string }[])
        .filter((b) => b.type === "tool_use")
        .map((b) => b.name as string),
    );
  const recorded = record.steps.flatMap((s) => s.tool_calls.map((c) => c.name));
  return {
    episode_id: record.episode_id,
    recording_id: record.replay.recording_id,
    mode,
    recorded_tools: recorded,
    replayed_tools: replayed,
    matches: JSON.stringify(recorded) === JSON.stringify(replayed),
    final_status: core.tickets.get(ticket.id).status,
  };
}
