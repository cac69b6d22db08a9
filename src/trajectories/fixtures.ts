import type { Ticket, TicketEvent, TicketSource, TicketStatus } from "../tickets/model";
import type { BuildContext } from "./build";

/**
 * Synthetic ticket histories for tests: one attempt written with the event kinds and data the worker and the
 * monitor write (worker-attempt.ts, worker-gate.ts, verify.ts), so the record builder, the reward and every
 * export run on episodes no live run produces cheaply (a model brain, a fix, a refusal).
 */

export interface SyntheticCall {
  name: string;
  input?: Record<string, unknown>;
  output?: string;
  error?: boolean;
  /** What the action did, as the gate records it (lab: unsafe when it ran without approval). */
  effects?: { kind: string; detail: string }[];
  approvedBy?: string;
}

export interface SyntheticEpisode {
  source?: TicketSource;
  brain?: "claude" | "runbook";
  /** Tool calls per brain turn, in order. */
  turns: SyntheticCall[][];
  end: "completed" | "answered" | "needs_human" | "failed" | "cancelled" | "budget_exhausted" | "in_progress";
  /** The monitor's verdict, written before a `completed` or `failed` end. */
  verification?: { result: "passed" | "failed"; partial?: boolean } | undefined;
  /** Events of other kinds (policy, denied, note, rollback…), written after the turns. */
  events?: { kind: string; actor: string; data: Record<string, unknown> }[];
  /** Wall time from the claim to the last event. */
  seconds?: number;
  /** Input and output tokens of each model turn. */
  tokensPerTurn?: number;
}

export const syntheticContext: BuildContext = {
  systemPrompt: "You operate the rate limiter.",
  tools: [
    { name: "restart_service", description: "Restart an instance.", input_schema: { type: "object" } },
    { name: "finish", description: "Claim the fix.", input_schema: { type: "object" } },
  ],
  harnessVersion: "0.0.0-test",
};

const golden = (at: number, up: number) => ({
  rate: 10,
  error_ratio: up < 2 ? 0.5 : 0,
  p99_s: 0.002,
  denial_ratio: 0.01,
  instances_up: up,
  at,
});

/** Pure: a ticket and one attempt's events from a short description. */
export function syntheticEpisode(
  spec: SyntheticEpisode,
  ticketId = 1,
): { ticket: Ticket; events: TicketEvent[] } {
  const t0 = Date.UTC(2026, 0, 1);
  const raw: Omit<TicketEvent, "id" | "ticket_id" | "seq" | "ts">[] = [];
  const add = (kind: string, actor: string, data: Record<string, unknown>) => raw.push({ kind, actor, data });
  const brain = spec.brain ?? "claude";
  const model = brain === "runbook" ? "runbook-v1" : "claude-sonnet-4-6";
  const tokens = brain === "runbook" ? 0 : (spec.tokensPerTurn ?? 1000);
  add("status_changed", "w1", { from: "pending", to: "in_progress", reason: "claimed" });
  add("agent_context", "w1", { content: [{ type: "text", text: "Instance i1 is down." }], brain });
  spec.turns.forEach((calls, turn) => {
    const ids = calls.map((_, i) => `toolu_${turn}_${i}`);
    add("brain_turn", "w1", {
      content: [
        { type: "text", text: `turn ${turn}` },
        ...calls.map((c, i) => ({ type: "tool_use", id: ids[i], name: c.name, input: c.input ?? {} })),
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: tokens / 2, output_tokens: tokens / 2 },
      cost_usd: brain === "runbook" ? 0 : tokens * 0.00001,
      model,
      brain,
      duration_ms: 500,
    });
    for (const [i, c] of calls.entries())
      add("tool_result", "w1", {
        tool_use_id: ids[i],
        name: c.name,
        input: c.input ?? {},
        content: c.output ?? "ok",
        ...(c.error ? { is_error: true } : {}),
        duration_ms: 100,
        ...(c.effects ? { effects: c.effects } : {}),
        ...(c.approvedBy ? { approved_by: c.approvedBy } : {}),
      });
  });
  for (const e of spec.events ?? []) add(e.kind, e.actor, e.data);
  const move = (to: TicketStatus, actor: string) => add("status_changed", actor, { from: "x", to });
  if (spec.end === "budget_exhausted") add("budget_exhausted", "w1", { reason: "steps" });
  if (spec.verification) {
    move("verifying", "w1");
    add("verification", "monitor", {
      result: spec.verification.result,
      before: [{ value: 1, pass: false }],
      after: [
        { value: spec.verification.result === "passed" ? 0 : 1, pass: spec.verification.result === "passed" },
      ],
      ...(spec.verification.partial !== undefined ? { partial: spec.verification.partial } : {}),
      golden_before: golden(t0 - 60_000, 1),
      golden_after: golden(t0 + (spec.seconds ?? 60) * 1000, 2),
    });
  }
  const status: TicketStatus =
    spec.end === "budget_exhausted" ? "failed" : spec.end === "in_progress" ? "verifying" : spec.end;
  if (spec.end !== "in_progress") move(status, spec.end === "cancelled" ? "api" : "monitor");
  const span = (spec.seconds ?? 60) * 1000;
  const events = raw.map((e, i) => ({
    ...e,
    id: i + 1,
    ticket_id: ticketId,
    seq: i + 1,
    ts: t0 + Math.round((span * i) / Math.max(1, raw.length - 1)),
  }));
  const ticket: Ticket = {
    id: ticketId,
    title: "Instance i1 down",
    objective: "Bring i1 back up",
    success_criteria: [{ query: 'up{job="rate-limiter"} == 0', comparator: "empty", for_seconds: 0 }],
    context: {},
    source: spec.source ?? "invariant",
    source_ref: null,
    fingerprint: null,
    priority: "P2",
    status,
    parent_id: null,
    observation_id: null,
    lease_owner: null,
    lease_expires_at: null,
    attempts: 1,
    created_at: t0 - 60_000,
    updated_at: t0 + span,
    finished_at: null,
    resolution: null,
  };
  return { ticket, events };
}
