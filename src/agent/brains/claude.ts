import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { defaultClaudeModel } from "../../config";
import { type Clock, systemClock } from "../../lib/clock";
import { Redactor } from "../../lib/redact";
import { asData } from "../provenance";
import type {
  Brain,
  BrainReply,
  BrainRequest,
  ContentBlock,
  Message,
  StopReason,
  ToolDef,
  Usage,
} from "../types";
import type { OutageKind, ProbeResult } from "./health";

export interface ClaudeBrainOptions {
  apiKey: string;
  model?: string;
  /** Without it the SDK falls back to ANTHROPIC_BASE_URL, then the public API. */
  baseURL?: string;
  maxTokens?: number;
  /** Retries after the first attempt, for rate limits, overloads, 5xx and connection failures. */
  maxRetries?: number;
  /** First backoff; it doubles per retry, with jitter, up to `maxRetryDelayMs`. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /**
   * Per attempt: the longest wait for the response to start, and then for each next stream event. Streaming
   * keeps long generations alive through proxies' idle timeouts; this catches a stream that truly stalled.
   */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Applied to every text sent to the API; defaults to the built-in secret patterns. */
  redact?: (s: string) => string;
  /** Reads a retry-after date against this clock and, without `sleep`, waits between retries on it. */
  clock?: Clock;
  /** Waits between retries; injectable so tests can see the delays instead of sitting through them. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * What `reply` throws once retries are spent or the API refused the request. `retryable` is false for errors a
 * later attempt cannot fix (a bad key, a forbidden model, a request the API rejects), so a caller can stop
 * re-queueing the ticket instead of failing the same way in a loop.
 */
export class ClaudeBrainError extends Error {
  override readonly name = "ClaudeBrainError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A probe gets one answer within this; it is not retried here: health.ts's backoff is its retry. */
const probeTimeoutMs = 15_000;
/** A pause_turn reply is continued at most this many times before the turn is returned as it stands. */
const maxContinuations = 3;
const retryableStatus = new Set([408, 429, 500, 502, 503, 504, 529]);
/** Errors sent inside an already-started stream carry only a type, no status. */
const retryableType = new Set(["rate_limit_error", "overloaded_error", "api_error", "timeout_error"]);
const ephemeral = { type: "ephemeral" } as const;

type ApiMessage = Anthropic.Message;
type ApiParams = Anthropic.MessageCreateParamsNonStreaming;

export class ClaudeBrain implements Brain {
  readonly name = "claude" as const;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly maxTokens: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly redact: (s: string) => string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: Clock;

  constructor(opts: ClaudeBrainOptions) {
    if (!opts.apiKey) throw new Error("the claude brain needs an API key (set ANTHROPIC_API_KEY)");
    this.model = opts.model ?? defaultClaudeModel;
    this.maxTokens = opts.maxTokens ?? 4096;
    this.maxRetries = opts.maxRetries ?? 4;
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 600_000;
    const redactor = new Redactor();
    this.redact = opts.redact ?? ((s) => redactor.text(s));
    const clock = opts.clock ?? systemClock;
    this.clock = clock;
    this.sleep = opts.sleep ?? ((ms) => clock.sleep(ms));
    this.client = new Anthropic({
      apiKey: opts.apiKey,
      // Retried in `call`, so backoff is ours to configure and covers failures in the middle of a stream too.
      maxRetries: 0,
      timeout: this.timeoutMs,
      ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  async reply(req: BrainRequest): Promise<BrainReply> {
    const params: ApiParams = {
      model: this.model,
      max_tokens: this.maxTokens,
      messages: toApiMessages(req.messages, this.redact),
      ...(req.system
        ? { system: [{ type: "text", text: this.redact(req.system), cache_control: ephemeral }] }
        : {}),
      ...(req.tools.length > 0 ? { tools: toApiTools(req.tools) } : {}),
    };
    const parts: ApiMessage[] = [];
    let sofar: Anthropic.ContentBlockParam[] = [];
    for (;;) {
      const messages: Anthropic.MessageParam[] =
        sofar.length > 0 ? [...params.messages, { role: "assistant", content: sofar }] : params.messages;
      const part = await this.call({ ...params, messages });
      parts.push(part);
      if (part.stop_reason !== "pause_turn" || parts.length > maxContinuations) break;
      // The API resumes a paused turn when it gets the turn back as the final assistant message.
      sofar = [...sofar, ...(part.content as Anthropic.ContentBlockParam[])];
    }
    return merge(parts);
  }

  /**
   * The cheapest call that proves the key, the URL and the model together: a Messages request for one output
   * token (a models listing would pass where a proxy cannot serve messages, or the key may not use the model).
   * Never throws: a failure comes back with the API's words and what kind of failure it is.
   */
  async probe(): Promise<ProbeResult> {
    try {
      await this.client.messages.create(
        { model: this.model, max_tokens: 1, messages: [{ role: "user", content: "ping" }] },
        { timeout: probeTimeoutMs, maxRetries: 0 },
      );
      return { ok: true };
    } catch (err) {
      const e = this.describe(err, 1);
      return { ok: false, reason: e.message, kind: outageKind(e.status, e.retryable) };
    }
  }

  private async call(params: ApiParams): Promise<ApiMessage> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(params);
      } catch (err) {
        if (!isRetryable(err) || attempt >= this.maxRetries) throw this.describe(err, attempt + 1);
        await this.sleep(this.delayMs(attempt, err));
      }
    }
  }

  private async attempt(params: ApiParams): Promise<ApiMessage> {
    const stream = this.client.messages.stream(params);
    let stalled = false;
    // Real time, not the clock's: this bounds a network stream, which a fake clock cannot speed up.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        stream.abort();
      }, this.timeoutMs);
    };
    let complete = false;
    arm();
    stream.on("connect", arm);
    stream.on("streamEvent", (event) => {
      arm();
      if (event.type === "message_stop") complete = true;
    });
    try {
      return await stream.finalMessage();
    } catch (err) {
      if (stalled) throw new APIConnectionTimeoutError({ message: `stream stalled for ${this.timeoutMs}ms` });
      // A stream cut off before message_stop (a dropped connection, a proxy closing it) is worth another try.
      if (!complete && !(err instanceof APIError))
        throw new APIConnectionError({
          message: `stream ended before the message was complete: ${err instanceof Error ? err.message : String(err)}`,
        });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private delayMs(attempt: number, err: unknown): number {
    const backoff = Math.min(this.maxRetryDelayMs, this.retryBaseMs * 2 ** attempt);
    const jittered = backoff / 2 + (Math.random() * backoff) / 2;
    const asked = retryAfterMs(err, this.clock.now());
    return asked === null ? jittered : Math.min(this.maxRetryDelayMs, Math.max(asked, jittered));
  }

  /** The worker records this message as an agent error, so it says what failed and what the API said. */
  private describe(err: unknown, attempts: number): ClaudeBrainError {
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    let text: string;
    if (err instanceof APIError && err.status !== undefined) {
      const hint =
        err.status === 401
          ? " — check ANTHROPIC_API_KEY"
          : err.status === 403
            ? " — the key is not allowed to use this model or endpoint"
            : "";
      text = `Claude API ${err.status} ${err.type ?? "error"}: ${err.apiMessage ?? err.message}${hint}${tries}`;
    } else if (err instanceof APIConnectionError) {
      text = `Claude API unreachable: ${err.message}${causeOf(err)}${tries}`;
    } else if (err instanceof APIError) {
      text = `Claude API stream failed: ${err.type ?? "error"}: ${err.apiMessage ?? err.message}${tries}`;
    } else {
      text = `Claude API call failed: ${err instanceof Error ? err.message : String(err)}${tries}`;
    }
    const status = err instanceof APIError && err.status !== undefined ? err.status : null;
    return new ClaudeBrainError(this.redact(text), status, isRetryable(err), { cause: err });
  }
}

/** A key or permission problem waits for a person; the network and the API's capacity come back by themselves. */
export function outageKind(status: number | null, retryable: boolean): OutageKind {
  if (status === 401 || status === 403) return "auth";
  if (status === null) return retryable ? "unreachable" : "rejected";
  return retryableStatus.has(status) || status >= 500 ? "overloaded" : "rejected";
}

function causeOf(err: Error): string {
  return err.cause instanceof Error ? ` (${err.cause.message})` : "";
}

function isRetryable(err: unknown): boolean {
  if (err instanceof APIConnectionError) return true;
  if (err instanceof APIError) {
    if (err.status !== undefined) return retryableStatus.has(err.status);
    return err.type !== null && retryableType.has(err.type);
  }
  // Anything else was raised locally (bad options, a listener bug): a retry would only repeat it.
  return false;
}

function retryAfterMs(err: unknown, nowMs: number): number | null {
  if (!(err instanceof APIError) || !err.headers) return null;
  const ms = Number.parseFloat(err.headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const header = err.headers.get("retry-after");
  if (!header) return null;
  const seconds = Number.parseFloat(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

function redactValue(v: unknown, redact: (s: string) => string): unknown {
  if (typeof v === "string") return redact(v);
  if (Array.isArray(v)) return v.map((x) => redactValue(x, redact));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValue(x, redact)]));
  return v;
}

function toApiBlock(
  b: ContentBlock,
  redact: (s: string) => string,
  toolNames: Map<string, string>,
): Anthropic.ContentBlockParam[] {
  switch (b.type) {
    case "text":
      // The API rejects empty text blocks.
      return b.text === "" ? [] : [{ type: "text", text: redact(b.text) }];
    case "tool_use":
      return [
        {
          type: "tool_use",
          id: b.id,
          name: b.name,
          input: redactValue(b.input, redact) as Record<string, unknown>,
        },
      ];
    case "tool_result":
      return [
        {
          type: "tool_result",
          tool_use_id: b.tool_use_id,
          // Labelled as data: whose text it is, inside an envelope it cannot close.
          content: asData(toolNames.get(b.tool_use_id) ?? "unknown", redact(b.content)),
          ...(b.is_error ? { is_error: true } : {}),
        },
      ];
  }
}

function toApiMessages(messages: Message[], redact: (s: string) => string): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  const toolNames = new Map<string, string>();
  for (const m of messages) for (const b of m.content) if (b.type === "tool_use") toolNames.set(b.id, b.name);
  for (const m of messages) {
    const content = m.content.flatMap((b) => toApiBlock(b, redact, toolNames));
    // A turn left empty (its only block was a tool call cut off at max_tokens) would be rejected; the API
    // joins the user turns on either side of it.
    if (content.length > 0) out.push({ role: m.role, content });
  }
  // A breakpoint at the end of the conversation lets the next turn read everything before it from the cache.
  const last = out.at(-1)?.content;
  const tail = Array.isArray(last) ? last.at(-1) : undefined;
  if (tail && (tail.type === "text" || tail.type === "tool_result" || tail.type === "tool_use"))
    tail.cache_control = ephemeral;
  return out;
}

function toApiTools(tools: ToolDef[]): Anthropic.Tool[] {
  return tools.map((t, i) => {
    // `$schema` only names the dialect zod wrote; the API takes the schema without it.
    const { $schema: _dialect, ...schema } = t.input_schema;
    return {
      name: t.name,
      description: t.description,
      input_schema: schema as Anthropic.Tool.InputSchema,
      // One breakpoint after the last tool caches all tool definitions.
      ...(i === tools.length - 1 ? { cache_control: ephemeral } : {}),
    };
  });
}

function fromApiBlocks(content: Anthropic.ContentBlock[]): ContentBlock[] {
  const out: ContentBlock[] = [];
  for (const b of content) {
    if (b.type === "text" && b.text !== "") out.push({ type: "text", text: b.text });
    else if (b.type === "tool_use") {
      const input = b.input && typeof b.input === "object" && !Array.isArray(b.input) ? b.input : {};
      out.push({ type: "tool_use", id: b.id, name: b.name, input: input as Record<string, unknown> });
    }
    // Thinking and server-tool blocks are not part of the harness's conversation model.
  }
  return out;
}

function toStopReason(r: Anthropic.StopReason | null): StopReason {
  // A full context window ends the turn as running out of output tokens does.
  if (r === "model_context_window_exceeded") return "max_tokens";
  return r ?? "end_turn";
}

/** Joins the parts of a turn that was paused and continued into one reply. */
function merge(parts: ApiMessage[]): BrainReply {
  const last = parts.at(-1) as ApiMessage;
  const stop = toStopReason(last.stop_reason);
  const raw = parts.flatMap((p) => p.content);
  // A tool call that was still being written when the tokens ran out has partial input: never run it.
  if (stop === "max_tokens" && raw.at(-1)?.type === "tool_use") raw.pop();
  const usage: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  };
  for (const p of parts) {
    usage.input_tokens += p.usage.input_tokens;
    usage.output_tokens += p.usage.output_tokens;
    usage.cache_read_input_tokens =
      (usage.cache_read_input_tokens ?? 0) + (p.usage.cache_read_input_tokens ?? 0);
    usage.cache_creation_input_tokens =
      (usage.cache_creation_input_tokens ?? 0) + (p.usage.cache_creation_input_tokens ?? 0);
  }
  return { content: fromApiBlocks(raw), stop_reason: stop, usage, model: last.model };
}
