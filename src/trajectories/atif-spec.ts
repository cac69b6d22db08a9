import { z } from "zod";

/**
 * ATIF v1.7 (Agent Trajectory Interchange Format, Harbor RFC 0001, harbor-framework/harbor
 * rfcs/0001-trajectory-format.md) as zod schemas: the fields, types and rules of the spec's models, strict so
 * a misspelt key fails instead of travelling as an unknown field. Our export is typed by and tested against
 * these. Optional fields are left out rather than written as null.
 */
export const ATIF_VERSION = "ATIF-v1.7";

const json = z.record(z.string(), z.unknown());
const count = z.number().int().min(0);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 time");

const ContentPart = z
  .object({
    type: z.enum(["text", "image"]),
    text: z.string().optional(),
    source: z.object({ media_type: z.string(), path: z.string() }).strict().optional(),
  })
  .strict();
const Content = z.union([z.string(), z.array(ContentPart)]);

export const AtifToolCall = z
  .object({
    tool_call_id: z.string(),
    function_name: z.string(),
    arguments: json,
    extra: json.optional(),
  })
  .strict();

export const AtifObservationResult = z
  .object({
    source_call_id: z.string().optional(),
    content: Content.optional(),
    subagent_trajectory_ref: z.array(json).optional(),
    extra: json.optional(),
  })
  .strict();

export const AtifMetrics = z
  .object({
    prompt_tokens: count.optional(),
    completion_tokens: count.optional(),
    cached_tokens: count.optional(),
    cost_usd: z.number().min(0).optional(),
    prompt_token_ids: z.array(count).optional(),
    completion_token_ids: z.array(count).optional(),
    logprobs: z.array(z.number()).optional(),
    extra: json.optional(),
  })
  .strict();

/** Fields only an agent step may carry. */
const agentOnly = ["model_name", "reasoning_effort", "reasoning_content", "tool_calls", "metrics"] as const;

export const AtifStep = z
  .object({
    step_id: z.number().int().min(1),
    timestamp: isoTime.optional(),
    source: z.enum(["system", "user", "agent"]),
    model_name: z.string().optional(),
    reasoning_effort: z.union([z.string(), z.number()]).optional(),
    message: Content,
    reasoning_content: z.string().optional(),
    tool_calls: z.array(AtifToolCall).optional(),
    observation: z
      .object({ results: z.array(AtifObservationResult) })
      .strict()
      .optional(),
    metrics: AtifMetrics.optional(),
    /** v1.7: model calls the step stands for; 0 marks a step no model produced (it carries no LLM metrics). */
    llm_call_count: count.optional(),
    is_copied_context: z.boolean().optional(),
    extra: json.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.source !== "agent")
      for (const f of agentOnly)
        if (s[f] !== undefined)
          ctx.addIssue({ code: "custom", path: [f], message: "only agent steps carry it" });
    if (s.llm_call_count === 0)
      for (const f of ["metrics", "reasoning_effort", "reasoning_content"] as const)
        if (s[f] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [f],
            message: "a step with llm_call_count 0 has no LLM data",
          });
  });

export const AtifAgent = z
  .object({
    name: z.string(),
    version: z.string(),
    model_name: z.string().optional(),
    /** OpenAI function-calling shape, per the spec. */
    tool_definitions: z.array(json).optional(),
    extra: json.optional(),
  })
  .strict();

export const AtifFinalMetrics = z
  .object({
    total_prompt_tokens: count.optional(),
    total_completion_tokens: count.optional(),
    total_cached_tokens: count.optional(),
    total_cost_usd: z.number().min(0).optional(),
    total_steps: count.optional(),
    extra: json.optional(),
  })
  .strict();

export const AtifTrajectory = z
  .object({
    schema_version: z.literal(ATIF_VERSION),
    session_id: z.string().optional(),
    trajectory_id: z.string().optional(),
    agent: AtifAgent,
    steps: z.array(AtifStep).min(1),
    notes: z.string().optional(),
    final_metrics: AtifFinalMetrics.optional(),
    continued_trajectory_ref: z.string().optional(),
    subagent_trajectories: z.array(json).optional(),
    extra: json.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    t.steps.forEach((s, i) => {
      if (s.step_id !== i + 1)
        ctx.addIssue({ code: "custom", path: ["steps", i, "step_id"], message: `expected ${i + 1}` });
      const ids = new Set((s.tool_calls ?? []).map((c) => c.tool_call_id));
      for (const r of s.observation?.results ?? [])
        if (r.source_call_id !== undefined && !ids.has(r.source_call_id))
          ctx.addIssue({
            code: "custom",
            path: ["steps", i, "observation"],
            message: `source_call_id ${r.source_call_id} names no tool call of the step`,
          });
    });
    const total = t.final_metrics?.total_steps;
    if (total !== undefined && total !== t.steps.length)
      ctx.addIssue({ code: "custom", path: ["final_metrics", "total_steps"], message: "must equal steps" });
  });

export type AtifTrajectory = z.infer<typeof AtifTrajectory>;
export type AtifStep = z.infer<typeof AtifStep>;
export type AtifToolCall = z.infer<typeof AtifToolCall>;
