import { createHash } from "node:crypto";
import type { TrajectoryRecord } from "./record";

/** OTLP/JSON AnyValue: exactly one typed key. intValue is a string because JSON numbers lose int64 precision. */
export type OtlpValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: OtlpValue[] } };
export interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
}

export interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

// OTLP enum values (opentelemetry-proto trace.proto).
const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

function attr(key: string, v: string | number | boolean | null | undefined): OtlpAttribute[] {
  if (v === null || v === undefined) return [];
  if (typeof v === "string") return [{ key, value: { stringValue: v } }];
  if (typeof v === "boolean") return [{ key, value: { boolValue: v } }];
  return [{ key, value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } }];
}

/** A measured quantity (cost, reward, seconds) is a double even when whole, so its type never flips per trace. */
function dbl(key: string, v: number | null | undefined): OtlpAttribute[] {
  return v === null || v === undefined ? [] : [{ key, value: { doubleValue: v } }];
}

/** Reward components that are quantities; the rest are counts (int) or flags (bool). */
const doubleComponents = new Set(["time_to_resolve_s", "cost_usd", "error_budget_spent"]);

/** Deterministic ids so re-exporting an episode yields the same trace and backends deduplicate it. */
function hexId(seed: string, chars: 32 | 16): string {
  const hex = createHash("sha256").update(seed).digest("hex").slice(0, chars);
  // All-zero ids are invalid in OTLP; a sha256 prefix of zeros is practically impossible but cheap to rule out.
  return /^0+$/.test(hex) ? `${"0".repeat(chars - 1)}1` : hex;
}

const nanos = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();

/** Maps a brain to a gen_ai.provider.name: well-known values where there is one, else our own namespace. */
function provider(r: TrajectoryRecord): string {
  if (r.brain === "claude" || r.model?.startsWith("claude")) return "anthropic";
  return `harness.${r.brain ?? "unknown"}`;
}

/**
 * One OTLP trace per episode, following the OpenTelemetry GenAI semantic conventions:
 * an `invoke_agent` root, a `chat` span per brain step and an `execute_tool` span per tool call.
 */
export function toOtel(r: TrajectoryRecord): OtlpTraces {
  const traceId = hexId(`trace:${r.episode_id}`, 32);
  const rootId = hexId(`span:${r.episode_id}`, 16);
  const prov = provider(r);
  const children: OtlpSpan[] = [];
  let lo = r.started_at ?? r.steps[0]?.ts ?? 0;
  let hi = r.ended_at ?? lo;
  for (const s of r.steps) {
    // A step's ts is when the brain's reply was recorded, so the call ran for duration_ms before it.
    const chatEnd = s.ts;
    const chatStart = s.ts - (s.duration_ms ?? 0);
    const model = s.llm_call_count > 0;
    children.push({
      traceId,
      spanId: hexId(`span:${r.episode_id}:step:${s.index}`, 16),
      parentSpanId: rootId,
      // A runbook turn is no GenAI operation: it gets a span of ours, without model or token attributes.
      name: model ? `chat ${r.model ?? r.brain ?? "unknown"}` : `step ${r.brain ?? "unknown"}`,
      kind: model ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(chatStart),
      endTimeUnixNano: nanos(chatEnd),
      attributes: [
        ...(model
          ? [
              ...attr("gen_ai.operation.name", "chat"),
              ...attr("gen_ai.provider.name", prov),
              ...attr("gen_ai.system", prov),
              ...attr("gen_ai.request.model", r.model),
              ...attr("gen_ai.response.model", r.model),
              ...attr("gen_ai.usage.input_tokens", s.usage.input_tokens),
              ...attr("gen_ai.usage.output_tokens", s.usage.output_tokens),
              ...attr("gen_ai.usage.cache_read.input_tokens", s.usage.cache_read_input_tokens),
              ...attr("gen_ai.usage.cache_creation.input_tokens", s.usage.cache_creation_input_tokens),
              ...dbl("harness.cost_usd", s.cost_usd),
            ]
          : []),
        ...attr("harness.step.index", s.index),
        ...attr("harness.step.llm_call_count", s.llm_call_count),
        // finish_reasons is a string array; OTLP arrays nest AnyValues under arrayValue.values.
        ...(model && s.stop_reason
          ? [
              {
                key: "gen_ai.response.finish_reasons",
                value: { arrayValue: { values: [{ stringValue: s.stop_reason }] } },
              },
            ]
          : []),
      ],
      status: { code: STATUS_UNSET },
    });
    // Tool results carry no timestamp of their own: lay the calls end to end after the reply, as they ran.
    let t = chatEnd;
    for (const c of s.tool_calls) {
      const end = t + (c.duration_ms ?? 0);
      children.push({
        traceId,
        spanId: hexId(`span:${r.episode_id}:tool:${c.id}`, 16),
        parentSpanId: rootId,
        name: `execute_tool ${c.name}`,
        kind: SPAN_KIND_INTERNAL,
        startTimeUnixNano: nanos(t),
        endTimeUnixNano: nanos(end),
        attributes: [
          ...attr("gen_ai.operation.name", "execute_tool"),
          ...attr("gen_ai.tool.name", c.name),
          ...attr("gen_ai.tool.call.id", c.id),
          ...attr("gen_ai.tool.type", "function"),
          ...attr("harness.step.index", s.index),
        ],
        status: c.is_error ? { code: STATUS_ERROR, message: c.output.slice(0, 500) } : { code: STATUS_UNSET },
      });
      t = end;
    }
    lo = Math.min(lo, chatStart);
    hi = Math.max(hi, t);
  }
  const ok = r.outcome === "completed";
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    name: `invoke_agent ${r.brain ?? "harness"}`,
    kind: SPAN_KIND_INTERNAL,
    // Widened to cover every child so the trace never shows a child outside its parent.
    startTimeUnixNano: nanos(lo),
    endTimeUnixNano: nanos(hi),
    attributes: [
      ...attr("gen_ai.operation.name", "invoke_agent"),
      ...attr("gen_ai.agent.name", r.brain ?? "harness"),
      ...attr("gen_ai.agent.id", r.episode_id),
      ...attr("gen_ai.provider.name", prov),
      ...attr("gen_ai.system", prov),
      ...attr("gen_ai.request.model", r.model),
      ...attr("gen_ai.conversation.id", r.episode_id),
      ...attr("gen_ai.usage.input_tokens", r.totals.input_tokens),
      ...attr("gen_ai.usage.output_tokens", r.totals.output_tokens),
      ...attr("harness.ticket.id", r.ticket_id),
      ...attr("harness.ticket.title", r.initial_state.title),
      ...attr("harness.ticket.priority", r.initial_state.priority),
      ...attr("harness.ticket.source", r.source),
      ...attr("harness.attempt", r.attempt),
      ...attr("harness.outcome", r.outcome),
      ...dbl("harness.reward", r.reward.value),
      ...attr("harness.reward.class", r.reward.class),
      ...attr("harness.reward.version", r.reward.version),
      // One attribute per component, so a backend can filter on them; null components are left out.
      ...Object.entries(r.reward.components).flatMap(([k, v]) =>
        doubleComponents.has(k)
          ? dbl(`harness.reward.${k}`, v as number | null)
          : attr(`harness.reward.${k}`, v),
      ),
      ...attr("harness.verification.result", r.verification?.result),
      ...attr("harness.verification.partial", r.verification?.partial),
      ...dbl("harness.cost_usd", r.totals.cost_usd),
    ],
    // in_progress is not a verdict yet, nor is a hand-over to a person, nor findings without a fix: unset.
    status: ok
      ? { code: STATUS_OK }
      : r.outcome === "in_progress" || r.outcome === "needs_human" || r.outcome === "answered"
        ? { code: STATUS_UNSET }
        : { code: STATUS_ERROR, message: r.outcome },
  };
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            ...attr("service.name", "harness"),
            ...attr("service.version", r.harness_version),
            ...attr("harness.schema", r.schema),
          ],
        },
        scopeSpans: [{ scope: { name: "harness", version: r.harness_version }, spans: [root, ...children] }],
      },
    ],
  };
}
