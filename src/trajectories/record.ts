import { z } from "zod";
import type { GoldenSignals } from "../monitor/golden-signals";
import type { RewardRecord } from "./reward";

export type { RewardRecord } from "./reward";

/** v2: the reward became `harness.reward/v2`, steps say whether they were model calls, verification grew. */
export const TRAJECTORY_SCHEMA = "harness.trajectory/v2";

export const Outcome = z.enum([
  "completed",
  /** Findings reported, no fix claimed (the ticket ended `answered`). */
  "answered",
  /** Handed to a person with a reason (the ticket waits in `needs_human`). */
  "needs_human",
  "failed",
  "gave_up",
  "budget_exhausted",
  "cancelled",
  "in_progress",
]);
export type Outcome = z.infer<typeof Outcome>;

export interface ToolCallRecord {
  id: string;
  name: string;
  input: Record<string, unknown>;
  output: string;
  is_error: boolean;
  duration_ms: number | null;
}

export interface StepRecord {
  index: number;
  ts: number;
  /** The brain's message: text and tool_use blocks, as the Messages API returned them. */
  content: unknown[];
  stop_reason: string | null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_read_input_tokens: number;
    cache_creation_input_tokens: number;
  };
  cost_usd: number | null;
  duration_ms: number | null;
  /** Model calls this turn made: 1 for a model brain, 0 for the runbook (its usage is zero, not measured). */
  llm_call_count: 0 | 1;
  tool_calls: ToolCallRecord[];
}

export interface VerificationRecord {
  result: string;
  before: unknown;
  after: unknown;
  /** Verified, but the service is worse than its baseline; false when the event does not say. */
  partial: boolean;
  baseline: unknown;
  /** The service's golden signals when the ticket opened and at verification; null when not recorded. */
  golden_before: GoldenSignals | null;
  golden_after: GoldenSignals | null;
}

/** One episode = one attempt at one ticket. Documented in docs/trajectory.schema.json. */
export interface TrajectoryRecord {
  schema: typeof TRAJECTORY_SCHEMA;
  episode_id: string;
  ticket_id: number;
  attempt: number;
  parent_ticket_id: number | null;
  source: string;
  observation: unknown;
  brain: string | null;
  model: string | null;
  harness_version: string;
  started_at: number | null;
  ended_at: number | null;
  initial_state: {
    title: string;
    objective: string;
    priority: string;
    success_criteria: unknown[];
    criteria_before: unknown[];
    context_message: unknown[] | null;
  };
  system_prompt: string;
  tools: { name: string; description: string; input_schema: Record<string, unknown> }[];
  steps: StepRecord[];
  approvals: { ts: number; kind: string; action: string | null; actor: string; comment: string | null }[];
  notes: { ts: number; actor: string; text: string }[];
  outcome: Outcome;
  resolution: string | null;
  /**
   * How to re-run the brain side deterministically: the runbook is a pure function of what the tools return
   * (no seed); a model's turns are replayed from the recording this id names (a hash of the recorded turns).
   */
  replay: { method: "runbook" | "recorded_turns" | "none"; recording_id: string | null; seed: null };
  verification: VerificationRecord | null;
  reward: RewardRecord;
  totals: {
    steps: number;
    tool_calls: number;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number;
  };
}
