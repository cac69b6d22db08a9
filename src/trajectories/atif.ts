import type { TrajectoryRecord } from "./record";

/**
 * ATIF (Agent Trajectory Interchange Format, Harbor RFC 0001). We pin the version we were written
 * against so consumers can reject or upgrade records instead of guessing.
 */
export const ATIF_VERSION = "ATIF-v1.4";

type Block = { type: string; text?: string };

export interface AtifToolCall {
  tool_call_id: string;
  function_name: string;
  arguments: Record<string, unknown>;
}

export interface AtifStep {
  step_id: number;
  timestamp?: string;
  source: "system" | "user" | "agent";
  model_name?: string;
  message: string;
  tool_calls?: AtifToolCall[];
  observation?: { results: { source_call_id: string; content: string }[] };
  metrics?: { prompt_tokens: number; completion_tokens: number; cached_tokens: number; cost_usd?: number };
  extra?: Record<string, unknown>;
}

export interface AtifTrajectory {
  schema_version: typeof ATIF_VERSION;
  session_id: string;
  agent: { name: string; version: string; model_name?: string; extra?: Record<string, unknown> };
  steps: AtifStep[];
  notes?: string;
  final_metrics: {
    total_prompt_tokens: number;
    total_completion_tokens: number;
    total_cached_tokens: number;
    total_cost_usd: number;
    total_steps: number;
  };
  extra: Record<string, unknown>;
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** Spread helper: exactOptionalPropertyTypes forbids `key: undefined`, so absent values drop the key. */
function opt<K extends string, V>(key: K, v: V | undefined | null): { [P in K]?: V } {
  return (v === undefined || v === null ? {} : { [key]: v }) as { [P in K]?: V };
}

const textOf = (blocks: unknown[] | null) =>
  (blocks as Block[] | null)
    ?.filter((b) => b.type === "text")
    .map((b) => b.text ?? "")
    .join("\n") ?? "";

/** One ATIF trajectory per episode: system prompt, the ticket context as the user turn, then each brain step. */
export function toAtif(r: TrajectoryRecord): AtifTrajectory {
  const steps: AtifStep[] = [];
  const push = (s: Omit<AtifStep, "step_id">) => steps.push({ step_id: steps.length + 1, ...s });
  const start = iso(r.started_at);
  push({ ...opt("timestamp", start), source: "system", message: r.system_prompt });
  if (r.initial_state.context_message)
    push({ ...opt("timestamp", start), source: "user", message: textOf(r.initial_state.context_message) });
  for (const s of r.steps) {
    // ATIF counts cache reads inside prompt_tokens and reports them again as cached_tokens,
    // whereas the Messages API reports them separately: add them back so totals agree.
    const prompt =
      s.usage.input_tokens + s.usage.cache_read_input_tokens + s.usage.cache_creation_input_tokens;
    push({
      ...opt("timestamp", iso(s.ts)),
      source: "agent",
      ...opt("model_name", r.model),
      message: textOf(s.content),
      ...(s.tool_calls.length
        ? {
            tool_calls: s.tool_calls.map((c) => ({
              tool_call_id: c.id,
              function_name: c.name,
              arguments: c.input,
            })),
            observation: {
              results: s.tool_calls.map((c) => ({ source_call_id: c.id, content: c.output })),
            },
          }
        : {}),
      metrics: {
        prompt_tokens: prompt,
        completion_tokens: s.usage.output_tokens,
        cached_tokens: s.usage.cache_read_input_tokens,
        ...opt("cost_usd", s.cost_usd),
      },
      // ATIF has no per-result error flag; keep ours so failed tools stay distinguishable.
      extra: {
        stop_reason: s.stop_reason,
        duration_ms: s.duration_ms,
        tool_errors: s.tool_calls.filter((c) => c.is_error).map((c) => c.id),
      },
    });
  }
  const cached = r.steps.reduce((n, s) => n + s.usage.cache_read_input_tokens, 0);
  const cacheWrites = r.steps.reduce((n, s) => n + s.usage.cache_creation_input_tokens, 0);
  return {
    schema_version: ATIF_VERSION,
    session_id: r.episode_id,
    agent: {
      name: r.brain ? `harness/${r.brain}` : "harness",
      version: r.harness_version,
      ...opt("model_name", r.model),
      extra: { brain: r.brain, tools: r.tools },
    },
    steps,
    ...opt("notes", r.notes.length ? r.notes.map((n) => `${n.actor}: ${n.text}`).join("\n") : null),
    final_metrics: {
      total_prompt_tokens: r.totals.input_tokens + cached + cacheWrites,
      total_completion_tokens: r.totals.output_tokens,
      total_cached_tokens: cached,
      total_cost_usd: r.totals.cost_usd,
      total_steps: steps.length,
    },
    // Everything ATIF has no field for: what the episode was for and how it was judged.
    extra: {
      harness_schema: r.schema,
      ticket_id: r.ticket_id,
      attempt: r.attempt,
      parent_ticket_id: r.parent_ticket_id,
      source: r.source,
      started_at: r.started_at,
      ended_at: r.ended_at,
      initial_state: {
        title: r.initial_state.title,
        objective: r.initial_state.objective,
        priority: r.initial_state.priority,
        success_criteria: r.initial_state.success_criteria,
        criteria_before: r.initial_state.criteria_before,
      },
      outcome: r.outcome,
      resolution: r.resolution,
      verification: r.verification,
      reward: r.reward,
      approvals: r.approvals,
    },
  };
}
