import { toAtif } from "./atif";
import { toHf } from "./hf";
import { toOtel } from "./otel";
import type { TrajectoryRecord } from "./record";

type Block = { type: string; text?: string; id?: string; name?: string; input?: Record<string, unknown> };

/** The conversation as the Messages API takes it: replayable with `client.messages.create`. */
export function toAnthropic(r: TrajectoryRecord) {
  const messages: { role: "user" | "assistant"; content: unknown[] }[] = [];
  if (r.initial_state.context_message)
    messages.push({ role: "user", content: r.initial_state.context_message });
  for (const s of r.steps) {
    const content = (s.content as Block[]).filter((b) => b.type === "text" || b.type === "tool_use");
    if (content.length === 0) continue;
    messages.push({ role: "assistant", content });
    if (s.tool_calls.length) {
      messages.push({
        role: "user",
        content: s.tool_calls.map((c) => ({
          type: "tool_result",
          tool_use_id: c.id,
          content: c.output,
          ...(c.is_error ? { is_error: true } : {}),
        })),
      });
    }
  }
  return {
    episode_id: r.episode_id,
    model: r.model,
    system: r.system_prompt,
    tools: r.tools,
    messages,
    metadata: {
      outcome: r.outcome,
      reward: r.reward.value,
      reward_class: r.reward.class,
      reward_version: r.reward.version,
      ticket_id: r.ticket_id,
      brain: r.brain,
    },
  };
}

/** OpenAI chat fine-tuning JSONL: `messages` with `tool_calls` and `tool` roles, plus `tools`. */
export function toOpenAI(r: TrajectoryRecord) {
  const messages: Record<string, unknown>[] = [{ role: "system", content: r.system_prompt }];
  const ctx = r.initial_state.context_message as Block[] | null;
  if (ctx) messages.push({ role: "user", content: ctx.map((b) => b.text ?? "").join("\n") });
  for (const s of r.steps) {
    const text = (s.content as Block[])
      .filter((b) => b.type === "text")
      .map((b) => b.text)
      .join("\n");
    // A turn that said and called nothing is no example of anything (the format refuses an empty assistant).
    if (!text && s.tool_calls.length === 0) continue;
    messages.push({
      role: "assistant",
      content: text || null,
      ...(s.tool_calls.length
        ? {
            tool_calls: s.tool_calls.map((c) => ({
              id: c.id,
              type: "function",
              function: { name: c.name, arguments: JSON.stringify(c.input) },
            })),
          }
        : {}),
    });
    for (const c of s.tool_calls) messages.push({ role: "tool", tool_call_id: c.id, content: c.output });
  }
  // A fine-tuning example ends with what the model is trained to say: the assistant's last turn (its finish,
  // answer or hand-over call), not the harness's acknowledgement of it.
  while (messages.at(-1)?.role === "tool") messages.pop();
  return {
    messages,
    tools: r.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.input_schema },
    })),
  };
}

export const formats = {
  native: (r: TrajectoryRecord) => r,
  anthropic: toAnthropic,
  openai: toOpenAI,
  atif: toAtif,
  otel: toOtel,
  hf: toHf,
} as const;
export type FormatName = keyof typeof formats;
export const formatNames = Object.keys(formats) as FormatName[];
