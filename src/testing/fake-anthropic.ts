import { z } from "zod";

/**
 * A local stand-in for the Anthropic Messages API (`POST /v1/messages`) that speaks its wire format, JSON and
 * SSE, so the real SDK can be exercised end to end without a network or a key. Replies come from a script,
 * played in order; every request is recorded for assertions.
 */

const usageSchema = z.object({
  input_tokens: z.number().int().nonnegative().optional(),
  output_tokens: z.number().int().nonnegative().optional(),
  cache_creation_input_tokens: z.number().int().nonnegative().optional(),
  cache_read_input_tokens: z.number().int().nonnegative().optional(),
});

const blockSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    /** Raw JSON streamed instead of `input`: lets a script cut a tool call short, as max_tokens does. */
    partial_json: z.string().optional(),
  }),
  z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().default("sig") }),
]);

const replySchema = z.object({
  content: z.array(blockSchema),
  stop_reason: z.enum([
    "end_turn",
    "tool_use",
    "max_tokens",
    "pause_turn",
    "refusal",
    "stop_sequence",
    "model_context_window_exceeded",
  ]),
  usage: usageSchema.optional(),
  /** Recorded API responses carry these; they are replayed as they were. */
  id: z.string().optional(),
  model: z.string().optional(),
});

const errorSchema = z.object({
  status: z.number().int().min(400).max(599),
  error_type: z.string(),
  message: z.string(),
  /** Seconds, sent as the `retry-after` header. */
  retry_after: z.number().nonnegative().optional(),
  /** Fail a streaming request after it started (HTTP 200, then an SSE `error` event), as overloads can. */
  in_stream: z.boolean().optional(),
});

/** Transport faults: the stream starts, then the connection drops, or nothing more is ever sent. */
const faultSchema = z.object({ fault: z.enum(["disconnect", "stall"]) });

const turnSchema = z.union([replySchema, errorSchema, faultSchema]);

export type ScriptedReply = z.input<typeof replySchema>;
export type ScriptedError = z.input<typeof errorSchema>;
export type ScriptedFault = z.input<typeof faultSchema>;
export type ScriptedTurn = ScriptedReply | ScriptedError | ScriptedFault;
type Turn = z.output<typeof turnSchema>;
type Reply = z.output<typeof replySchema>;
type Block = Reply["content"][number];

/** Validates a script, e.g. a recorded conversation read from a JSON file, with errors naming the bad turn. */
export function parseScript(json: unknown): ScriptedTurn[] {
  const parsed = z.array(turnSchema).safeParse(json);
  if (!parsed.success) throw new Error(`invalid fake-anthropic script: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Reads a recorded conversation (a JSON array of turns) to replay. */
export async function loadScript(path: string): Promise<ScriptedTurn[]> {
  return parseScript(await Bun.file(path).json());
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Request headers without the credential headers. */
  headers: Record<string, string>;
  /** Which credential header carried the key. */
  auth: "x-api-key" | "bearer" | null;
  /** The body exactly as received, for "this string was never sent" assertions. */
  raw: string;
  body: unknown;
  /** The script turn that answered, or null when the request was rejected before reaching the script. */
  turn: number | null;
}

export interface FakeAnthropicOptions {
  /** The key clients must send, as `x-api-key` or `Authorization: Bearer`; any non-empty key when omitted. */
  apiKey?: string;
  /** Model reported in replies when a turn names none; defaults to the requested model. */
  model?: string;
  /** Characters per streamed delta; smaller means more chunks. */
  chunkChars?: number;
  /**
   * Health probes (a one-token request without tools, as ClaudeBrain.probe sends): `answer` replies to them
   * outside the script, so a script holds only the conversation; `script` plays them from it like any request.
   */
  probes?: "answer" | "script";
}

export interface FakeAnthropic {
  url: string;
  requests: RecordedRequest[];
  /** Script turns not yet played. */
  remaining(): number;
  stop(): Promise<void>;
}

const errorBody = (type: string, message: string, requestId: string) =>
  JSON.stringify({ type: "error", error: { type, message }, request_id: requestId });

function jsonResponse(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", ...headers } });
}

/** The first problem the real API would reject this body for, among the ones worth checking here. */
function invalidBody(body: unknown): string | null {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "body: expected an object";
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "") return "model: Field required";
  if (typeof b.max_tokens !== "number" || !Number.isInteger(b.max_tokens) || b.max_tokens < 0)
    return "max_tokens: Field required";
  if (!Array.isArray(b.messages) || b.messages.length === 0) return "messages: Field required";
  let cacheBreakpoints = 0;
  const countCache = (x: unknown) => {
    if (x && typeof x === "object" && "cache_control" in x && x.cache_control) cacheBreakpoints++;
  };
  if (Array.isArray(b.system)) b.system.forEach(countCache);
  if (b.tools !== undefined) {
    if (!Array.isArray(b.tools)) return "tools: Input should be a valid list";
    for (const [i, t] of b.tools.entries()) {
      countCache(t);
      const schema = (t as { input_schema?: { type?: unknown } }).input_schema;
      if (schema?.type !== "object") return `tools.${i}.input_schema.type: Input should be 'object'`;
    }
  }
  const messages = b.messages as unknown[];
  for (const [i, m] of messages.entries()) {
    const msg = m as { role?: unknown; content?: unknown };
    if (msg.role !== "user" && msg.role !== "assistant")
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof msg.content === "string") {
      if (msg.content === "" && i < messages.length - 1)
        return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
      continue;
    }
    if (!Array.isArray(msg.content)) return `messages.${i}.content: Input should be a valid list`;
    if (msg.content.length === 0 && !(i === messages.length - 1 && msg.role === "assistant"))
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    for (const block of msg.content as { type?: unknown; text?: unknown }[]) {
      countCache(block);
      if (block.type === "text" && block.text === "")
        return `messages.${i}: text content blocks must be non-empty`;
    }
  }
  if (cacheBreakpoints > 4)
    return `A maximum of 4 blocks with cache_control may be provided. Found ${cacheBreakpoints}.`;
  return unpairedToolUse(messages as { role: string; content: unknown }[]);
}

/** The API requires every tool_use to be answered by a tool_result in the very next (user) message. */
function unpairedToolUse(messages: { role: string; content: unknown }[]): string | null {
  const blocks = (m: { content: unknown } | undefined) =>
    Array.isArray(m?.content) ? (m.content as { type?: string; id?: string; tool_use_id?: string }[]) : [];
  for (const [i, m] of messages.entries()) {
    if (m.role !== "assistant" || i === messages.length - 1) continue;
    const ids = blocks(m)
      .filter((b) => b.type === "tool_use")
      .map((b) => b.id);
    if (ids.length === 0) continue;
    const answered = new Set(
      blocks(messages[i + 1])
        .filter((b) => b.type === "tool_result")
        .map((b) => b.tool_use_id),
    );
    const missing = ids.filter((id) => !answered.has(id));
    if (missing.length > 0)
      return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  }
  return null;
}

function chunks(s: string, size: number): string[] {
  if (s === "") return [""];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function usageOf(reply: Reply) {
  return {
    input_tokens: reply.usage?.input_tokens ?? 10,
    cache_creation_input_tokens: reply.usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: reply.usage?.cache_read_input_tokens ?? 0,
    output_tokens: reply.usage?.output_tokens ?? 5,
  };
}

/** A block as the non-streaming API returns it. */
function finalBlock(b: Block): Record<string, unknown> {
  switch (b.type) {
    case "text":
      return { type: "text", text: b.text, citations: null };
    case "tool_use":
      return { type: "tool_use", id: b.id, name: b.name, input: b.input };
    case "thinking":
      return { type: "thinking", thinking: b.thinking, signature: b.signature };
  }
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function messageStart(id: string, model: string, usage: Record<string, number>): string {
  return sse("message_start", {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
}

/** The event sequence the API streams for one message. */
function streamEvents(reply: Reply, id: string, model: string, chunkChars: number): string[] {
  const usage = usageOf(reply);
  const out = [messageStart(id, model, usage), sse("ping", { type: "ping" })];
  reply.content.forEach((b, index) => {
    const delta = (d: Record<string, unknown>) =>
      sse("content_block_delta", { type: "content_block_delta", index, delta: d });
    if (b.type === "text") {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "text", text: "" },
        }),
      );
      for (const text of chunks(b.text, chunkChars)) out.push(delta({ type: "text_delta", text }));
    } else if (b.type === "tool_use") {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
        }),
      );
      // The API opens every tool input with an empty delta before the JSON itself.
      out.push(delta({ type: "input_json_delta", partial_json: "" }));
      const json = b.partial_json ?? JSON.stringify(b.input);
      for (const partial_json of chunks(json, chunkChars)) {
        if (partial_json) out.push(delta({ type: "input_json_delta", partial_json }));
      }
    } else {
      out.push(
        sse("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }),
      );
      for (const thinking of chunks(b.thinking, chunkChars))
        out.push(delta({ type: "thinking_delta", thinking }));
      out.push(delta({ type: "signature_delta", signature: b.signature }));
    }
    out.push(sse("content_block_stop", { type: "content_block_stop", index }));
  });
  out.push(
    sse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: reply.stop_reason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    sse("message_stop", { type: "message_stop" }),
  );
  return out;
}

function sseResponse(events: string[], requestId: string, hang = false): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(encoder.encode(e));
      if (!hang) controller.close();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": requestId },
  });
}

export async function startFakeAnthropic(
  script: ScriptedTurn[],
  opts: FakeAnthropicOptions = {},
): Promise<FakeAnthropic> {
  const turns: Turn[] = z.array(turnSchema).parse(script);
  const requests: RecordedRequest[] = [];
  const chunkChars = opts.chunkChars ?? 12;
  let next = 0;
  let seq = 0;

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const requestId = `req_fake_${++seq}`;
    const raw = await req.text();
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => {
      if (k !== "x-api-key" && k !== "authorization") headers[k] = v;
    });
    const apiKey = req.headers.get("x-api-key");
    const bearer = req.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1] ?? null;
    const key = apiKey || bearer;
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {}
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      headers,
      auth: apiKey ? "x-api-key" : bearer ? "bearer" : null,
      raw,
      body,
      turn: null,
    };
    requests.push(record);

    if (req.method !== "POST" || url.pathname !== "/v1/messages")
      return jsonResponse(
        404,
        errorBody("not_found_error", `Not found: ${req.method} ${url.pathname}`, requestId),
      );
    if (!key || (opts.apiKey !== undefined && key !== opts.apiKey))
      return jsonResponse(401, errorBody("authentication_error", "invalid x-api-key", requestId));
    if (!req.headers.get("anthropic-version"))
      return jsonResponse(
        400,
        errorBody("invalid_request_error", "anthropic-version: header is required", requestId),
      );
    if (body === null)
      return jsonResponse(
        400,
        errorBody(
          "invalid_request_error",
          "There was an issue with your request body: invalid JSON",
          requestId,
        ),
      );
    const problem = invalidBody(body);
    if (problem) return jsonResponse(400, errorBody("invalid_request_error", problem, requestId));

    const b = body as { max_tokens?: number; tools?: unknown[] };
    const probe = (opts.probes ?? "answer") === "answer" && b.max_tokens === 1 && !b.tools?.length;
    const pong: Turn = {
      content: [{ type: "text", text: "pong" }],
      stop_reason: "max_tokens",
      usage: { input_tokens: 8, output_tokens: 1 },
    };
    // A probe is not part of the conversation a test asserts on: it is left out of `requests`.
    if (probe) requests.pop();
    const turn = probe ? pong : turns[next];
    if (!turn)
      return jsonResponse(
        400,
        errorBody(
          "invalid_request_error",
          `fake-anthropic: script exhausted after ${turns.length} turns`,
          requestId,
        ),
      );
    if (!probe) record.turn = next++;
    const { model: requestedModel, stream } = body as { model: string; stream?: boolean };

    const start = () => messageStart(`msg_fake_${seq}`, opts.model ?? requestedModel, { input_tokens: 10 });
    // The connection ends (or goes quiet) after message_start, before the message is complete.
    if ("fault" in turn) return sseResponse([start()], requestId, turn.fault === "stall");
    if ("status" in turn) {
      if (turn.in_stream && stream) {
        const error = sse("error", {
          type: "error",
          error: { type: turn.error_type, message: turn.message },
        });
        return sseResponse([start(), error], requestId);
      }
      const extra: Record<string, string> = { "request-id": requestId };
      if (turn.retry_after !== undefined) extra["retry-after"] = String(turn.retry_after);
      return jsonResponse(turn.status, errorBody(turn.error_type, turn.message, requestId), extra);
    }

    const id = turn.id ?? `msg_fake_${seq}`;
    const model = turn.model ?? opts.model ?? requestedModel;
    if (stream) return sseResponse(streamEvents(turn, id, model, chunkChars), requestId);
    return jsonResponse(
      200,
      JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model,
        content: turn.content.map(finalBlock),
        stop_reason: turn.stop_reason,
        stop_sequence: null,
        usage: usageOf(turn),
      }),
      { "request-id": requestId },
    );
  }

  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handle });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    remaining: () => turns.length - next,
    async stop() {
      await server.stop(true);
    },
  };
}

/** One scripted turn in which the model calls one tool. */
export function toolTurn(
  id: string,
  name: string,
  input: Record<string, unknown>,
  usage = { input_tokens: 10, output_tokens: 5 },
): ScriptedReply {
  return { content: [{ type: "tool_use", id, name, input }], stop_reason: "tool_use", usage };
}
