import { GoldenSignals } from "../monitor/golden-signals";
import type { Observation } from "../rules/observations";
import type { Ticket, TicketEvent } from "../tickets/model";
import {
  type Outcome,
  type StepRecord,
  TRAJECTORY_SCHEMA,
  type TrajectoryRecord,
  type VerificationRecord,
} from "./record";
import { reward } from "./reward";
import { rewardComponents } from "./reward-components";

export interface BuildContext {
  systemPrompt: string;
  tools: TrajectoryRecord["tools"];
  harnessVersion: string;
}

/** Splits a ticket's history into attempts: each claim (`pending → in_progress` reason claimed) starts one. */
export function splitAttempts(events: TicketEvent[]): TicketEvent[][] {
  const attempts: TicketEvent[][] = [];
  let current: TicketEvent[] | null = null;
  for (const e of events) {
    if (e.kind === "status_changed" && e.data.to === "in_progress" && e.data.reason === "claimed") {
      current = [e];
      attempts.push(current);
    } else if (current) {
      current.push(e);
    }
  }
  return attempts;
}

function outcomeOf(t: Ticket, attempt: TicketEvent[], isLast: boolean): Outcome {
  if (attempt.some((e) => e.kind === "budget_exhausted")) return "budget_exhausted";
  const moves = attempt.filter((e) => e.kind === "status_changed").map((e) => e.data.to as string);
  if (moves.includes("cancelled")) return "cancelled";
  const gaveUp = attempt.some((e) => e.kind === "tool_result" && e.data.name === "give_up");
  if (gaveUp) return "gave_up";
  if (moves.includes("completed")) return "completed";
  if (moves.includes("answered")) return "answered";
  if (moves.includes("needs_human")) return "needs_human";
  if (moves.includes("failed")) return "failed";
  if (isLast && (t.status === "in_progress" || t.status === "verifying" || t.status === "awaiting_approval"))
    return "in_progress";
  // Verification sent the ticket back, or the lease expired: this attempt did not fix it.
  return "failed";
}

/** A snapshot that does not parse (older events, no metrics) is no snapshot: null, never a guess. */
const golden = (v: unknown) => {
  const r = GoldenSignals.safeParse(v);
  return r.success ? r.data : null;
};

function verificationRecord(e: TicketEvent): VerificationRecord {
  return {
    result: String(e.data.result),
    before: e.data.before ?? null,
    after: e.data.after ?? null,
    partial: e.data.partial === true,
    baseline: e.data.baseline ?? null,
    golden_before: golden(e.data.golden_before),
    golden_after: golden(e.data.golden_after),
  };
}

/** Pure: the training record of one attempt, from the ticket's append-only history. */
export function buildTrajectory(
  ctx: BuildContext,
  t: Ticket,
  observation: Observation | null,
  attempt: TicketEvent[],
  attemptNo: number,
  isLast: boolean,
): TrajectoryRecord {
  const steps: StepRecord[] = [];
  const results = new Map<string, TicketEvent>();
  for (const e of attempt) if (e.kind === "tool_result") results.set(e.data.tool_use_id as string, e);
  let brain: string | null = null;
  let model: string | null = null;
  let contextMessage: unknown[] | null = null;
  for (const e of attempt) {
    if (e.kind === "agent_context") contextMessage = e.data.content as unknown[];
    if (e.kind !== "brain_turn") continue;
    brain = (e.data.brain as string) ?? brain;
    model = (e.data.model as string) ?? model;
    const content =
      (e.data.content as { type: string; id?: string; name?: string; input?: Record<string, unknown> }[]) ??
      [];
    const usage = (e.data.usage as Record<string, number> | undefined) ?? {};
    steps.push({
      index: steps.length,
      ts: e.ts,
      content,
      stop_reason: (e.data.stop_reason as string) ?? null,
      usage: {
        input_tokens: usage.input_tokens ?? 0,
        output_tokens: usage.output_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      },
      cost_usd: (e.data.cost_usd as number | null) ?? null,
      duration_ms: (e.data.duration_ms as number | null) ?? null,
      // The runbook decides without a model: its turns are steps of the agent, not model calls.
      llm_call_count: e.data.brain === "runbook" ? 0 : 1,
      tool_calls: content
        .filter((b) => b.type === "tool_use")
        .map((b) => {
          const r = results.get(b.id as string);
          return {
            id: b.id as string,
            name: b.name as string,
            input: b.input ?? {},
            output: (r?.data.content as string) ?? "",
            is_error: Boolean(r?.data.is_error),
            duration_ms: (r?.data.duration_ms as number | null) ?? null,
          };
        }),
    });
  }
  const outcome = outcomeOf(t, attempt, isLast);
  const verification = attempt.findLast((e) => e.kind === "verification");
  const start = attempt[0]?.ts ?? null;
  const end = attempt.at(-1)?.ts ?? null;
  return {
    schema: TRAJECTORY_SCHEMA,
    episode_id: `t${t.id}-a${attemptNo}`,
    ticket_id: t.id,
    attempt: attemptNo,
    parent_ticket_id: t.parent_id,
    source: t.source,
    observation,
    brain,
    model,
    harness_version: ctx.harnessVersion,
    started_at: start,
    ended_at: end,
    initial_state: {
      title: t.title,
      objective: t.objective,
      priority: t.priority,
      success_criteria: t.success_criteria,
      criteria_before: (t.context.criteria_before as unknown[]) ?? [],
      context_message: contextMessage,
    },
    system_prompt: ctx.systemPrompt,
    tools: ctx.tools,
    steps,
    approvals: attempt
      .filter((e) => ["approval_requested", "approved", "denied"].includes(e.kind))
      .map((e) => ({
        ts: e.ts,
        kind: e.kind,
        action: (e.data.action as string) ?? null,
        actor: e.actor,
        comment: (e.data.comment as string) ?? null,
      })),
    notes: attempt
      .filter((e) => e.kind === "note")
      .map((e) => ({ ts: e.ts, actor: e.actor, text: String(e.data.text ?? "") })),
    outcome,
    resolution: isLast ? t.resolution : null,
    replay: {
      method: steps.length === 0 ? "none" : brain === "runbook" ? "runbook" : "recorded_turns",
      recording_id:
        steps.length === 0
          ? null
          : new Bun.CryptoHasher("sha256")
              .update(JSON.stringify(steps.map((s) => s.content)))
              .digest("hex")
              .slice(0, 16),
      seed: null,
    },
    verification: verification ? verificationRecord(verification) : null,
    reward: reward(outcome, rewardComponents(t, attempt, steps, outcome === "completed")),
    totals: {
      steps: steps.length,
      tool_calls: steps.reduce((n, s) => n + s.tool_calls.length, 0),
      input_tokens: steps.reduce((n, s) => n + s.usage.input_tokens, 0),
      output_tokens: steps.reduce((n, s) => n + s.usage.output_tokens, 0),
      cost_usd: steps.reduce((n, s) => n + (s.cost_usd ?? 0), 0),
    },
  };
}
