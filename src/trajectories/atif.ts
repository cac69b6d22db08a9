import { ATIF_VERSION, type AtifStep, type AtifTrajectory } from "./atif-spec";
import type { TrajectoryRecord } from "./record";

export { ATIF_VERSION, type AtifStep, type AtifTrajectory } from "./atif-spec";

type Block = { type: string; text?: string };

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
  const modelSteps = r.steps.filter((s) => s.llm_call_count > 0);
  for (const s of r.steps) {
    const model = s.llm_call_count > 0;
    // ATIF counts cache reads inside prompt_tokens and reports them again as cached_tokens,
    // whereas the Messages API reports them separately: add them back so totals agree.
    const prompt =
      s.usage.input_tokens + s.usage.cache_read_input_tokens + s.usage.cache_creation_input_tokens;
    push({
      ...opt("timestamp", iso(s.ts)),
      source: "agent",
      // A runbook turn names no model and carries no metrics: it made no model call (llm_call_count 0).
      ...(model ? opt("model_name", r.model) : {}),
      message: textOf(s.content),
      ...(s.tool_calls.length
        ? {
            tool_calls: s.tool_calls.map((c) => ({
              tool_call_id: c.id,
              function_name: c.name,
              arguments: c.input,
            })),
            observation: {
              results: s.tool_calls.map((c) => ({
                source_call_id: c.id,
                content: c.output,
                // ATIF has no error flag of its own: keep ours so failed tools stay distinguishable.
                ...(c.is_error ? { extra: { is_error: true } } : {}),
              })),
            },
          }
        : {}),
      ...(model
        ? {
            metrics: {
              prompt_tokens: prompt,
              completion_tokens: s.usage.output_tokens,
              cached_tokens: s.usage.cache_read_input_tokens,
              ...opt("cost_usd", s.cost_usd),
              extra: { cache_creation_input_tokens: s.usage.cache_creation_input_tokens },
            },
          }
        : {}),
      llm_call_count: s.llm_call_count,
      extra: { stop_reason: s.stop_reason, duration_ms: s.duration_ms },
    });
  }
  const sum = (f: (s: TrajectoryRecord["steps"][number]) => number) =>
    modelSteps.reduce((n, s) => n + f(s), 0);
  return {
    schema_version: ATIF_VERSION,
    session_id: r.episode_id,
    trajectory_id: r.episode_id,
    agent: {
      name: r.brain ? `harness/${r.brain}` : "harness",
      version: r.harness_version,
      ...(modelSteps.length ? opt("model_name", r.model) : {}),
      tool_definitions: r.tools.map((t) => ({
        type: "function",
        function: { name: t.name, description: t.description, parameters: t.input_schema },
      })),
      extra: { brain: r.brain },
    },
    steps,
    ...opt("notes", r.notes.length ? r.notes.map((n) => `${n.actor}: ${n.text}`).join("\n") : null),
    // Token and cost totals sum the model calls only; an episode without one reports none rather than zeros.
    final_metrics: {
      ...(modelSteps.length
        ? {
            total_prompt_tokens: sum(
              (s) =>
                s.usage.input_tokens + s.usage.cache_read_input_tokens + s.usage.cache_creation_input_tokens,
            ),
            total_completion_tokens: sum((s) => s.usage.output_tokens),
            total_cached_tokens: sum((s) => s.usage.cache_read_input_tokens),
            total_cost_usd: sum((s) => s.cost_usd ?? 0),
          }
        : {}),
      total_steps: steps.length,
      extra: { llm_call_count: sum((s) => s.llm_call_count) },
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
