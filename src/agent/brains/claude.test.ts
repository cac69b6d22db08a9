import { afterEach, describe, expect, test } from "bun:test";
import type { MetricsBackend } from "../../telemetry/types";
import { testAgent } from "../../testing/agent";
import { testCore } from "../../testing/core";
import {
  type FakeAnthropic,
  parseScript,
  type ScriptedTurn,
  startFakeAnthropic,
} from "../../testing/fake-anthropic";
import { ticketFixture } from "../../testing/ticket";
import { testTicket, upCriterion } from "../../testing/tickets";
import type { Ticket } from "../../tickets/model";
import { toolDefs } from "../tools/registry";
import type { BrainRequest, Message } from "../types";
import { ClaudeBrain, ClaudeBrainError, type ClaudeBrainOptions } from "./claude";
import { costUsd } from "./pricing";
import addNoteFinish from "./recordings/add-note-finish.json";

const KEY = "sk-test-fake-key-000";
// Not the default model: the SDK warns on every call to claude-sonnet-4-5, which is deprecated.
const MODEL = "claude-sonnet-4-6";

const ticket: Ticket = ticketFixture({
  title: "Denials too high",
  objective: "Bring the denial ratio under 10%",
  priority: "P2",
});

const first: Message = { role: "user", content: [{ type: "text", text: "Work this ticket." }] };
const request = (messages: Message[]): BrainRequest => ({
  system: "You operate a rate limiter.",
  tools: toolDefs(),
  messages,
  ticket,
});

const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function setup(script: ScriptedTurn[], opts: Partial<ClaudeBrainOptions> = {}) {
  const fake = await startFakeAnthropic(script, { apiKey: KEY });
  fakes.push(fake);
  const brain = new ClaudeBrain({ apiKey: KEY, baseURL: fake.url, model: MODEL, retryBaseMs: 1, ...opts });
  return { fake, brain };
}

type Body = {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system: { type: string; text: string; cache_control?: unknown }[];
  tools: { name: string; input_schema: Record<string, unknown>; cache_control?: unknown }[];
  messages: { role: string; content: { type: string; cache_control?: unknown; [k: string]: unknown }[] }[];
};
const bodyOf = (fake: FakeAnthropic, i: number) => fake.requests[i]?.body as Body;

const reply = (
  text: string,
  extra: Partial<Extract<ScriptedTurn, { content: unknown }>> = {},
): ScriptedTurn => ({
  content: [{ type: "text", text }],
  stop_reason: "end_turn",
  ...extra,
});
const overloaded: ScriptedTurn = { status: 529, error_type: "overloaded_error", message: "Overloaded" };

describe("claude brain", () => {
  test("maps a two-turn tool-use conversation and sends cache breakpoints on system, tools and history", async () => {
    const { fake, brain } = await setup([
      {
        content: [
          { type: "thinking", thinking: "The ratio first.", signature: "sig-1" },
          { type: "text", text: "Checking the denial ratio first." },
          { type: "tool_use", id: "toolu_01", name: "query_metrics", input: { query: "denial_ratio" } },
        ],
        stop_reason: "tool_use",
        usage: {
          input_tokens: 1200,
          output_tokens: 40,
          cache_creation_input_tokens: 900,
          cache_read_input_tokens: 0,
        },
      },
      reply("The ratio is fine; nothing to do.", {
        usage: {
          input_tokens: 60,
          output_tokens: 12,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 900,
        },
      }),
    ]);

    const r1 = await brain.reply(request([first]));
    expect(r1).toEqual({
      content: [
        { type: "text", text: "Checking the denial ratio first." },
        { type: "tool_use", id: "toolu_01", name: "query_metrics", input: { query: "denial_ratio" } },
      ],
      stop_reason: "tool_use",
      usage: {
        input_tokens: 1200,
        output_tokens: 40,
        cache_creation_input_tokens: 900,
        cache_read_input_tokens: 0,
      },
      model: MODEL,
    });
    expect(costUsd(r1.model, r1.usage)).toBeCloseTo((1200 * 3 + 40 * 15 + 900 * 3.75) / 1e6, 12);

    const history: Message[] = [
      first,
      { role: "assistant", content: r1.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: '{"v":0.02}' }] },
    ];
    const r2 = await brain.reply(request(history));
    expect(r2.content).toEqual([{ type: "text", text: "The ratio is fine; nothing to do." }]);
    expect(r2.stop_reason).toBe("end_turn");
    expect(r2.usage.cache_read_input_tokens).toBe(900);

    const b1 = bodyOf(fake, 0);
    expect(b1.model).toBe(MODEL);
    expect(b1.max_tokens).toBe(4096);
    expect(b1.stream).toBe(true);
    expect(b1.system).toEqual([
      { type: "text", text: "You operate a rate limiter.", cache_control: { type: "ephemeral" } },
    ]);
    expect(b1.tools.map((t) => t.name)).toEqual(toolDefs().map((t) => t.name));
    expect(b1.tools.at(-1)?.cache_control).toEqual({ type: "ephemeral" });
    expect(b1.tools.slice(0, -1).every((t) => t.cache_control === undefined)).toBe(true);
    const qm = b1.tools.find((t) => t.name === "query_metrics");
    expect(qm?.input_schema.type).toBe("object");
    expect(qm?.input_schema.required).toEqual(["query"]);
    expect(qm?.input_schema.$schema).toBeUndefined();

    const b2 = bodyOf(fake, 1);
    expect(b2.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(b2.messages[1]?.content.map((c) => c.type)).toEqual(["text", "tool_use"]);
    expect(b2.messages[2]?.content[0]).toEqual({
      type: "tool_result",
      tool_use_id: "toolu_01",
      // Labelled as data from outsiders: query_metrics returns label values clients chose.
      content: '<tool_output tool="query_metrics" trust="untrusted">\n{"v":0.02}\n</tool_output>',
      cache_control: { type: "ephemeral" },
    });
    const req = fake.requests[0];
    expect(req?.headers["anthropic-version"]).toBeTruthy();
    expect(req?.auth).not.toBeNull();
  });

  test("a 429 is retried and the next answer is used", async () => {
    const { fake, brain } = await setup([
      { status: 429, error_type: "rate_limit_error", message: "Rate limited", retry_after: 0 },
      reply("ok"),
    ]);
    const r = await brain.reply(request([first]));
    expect(r.content).toEqual([{ type: "text", text: "ok" }]);
    expect(fake.requests).toHaveLength(2);
  });

  test("retry-after sets the wait; without it the backoff grows", async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const { brain } = await setup(
      [
        { status: 429, error_type: "rate_limit_error", message: "slow down", retry_after: 2 },
        overloaded,
        overloaded,
        reply("ok"),
      ],
      { sleep, retryBaseMs: 100 },
    );
    await brain.reply(request([first]));
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBe(2000);
    // Attempt n waits between half and all of base * 2^n.
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
    expect(waits[2]).toBeGreaterThanOrEqual(200);
    expect(waits[2]).toBeLessThanOrEqual(400);
  });

  test("a 529 overload, and an overload inside a started stream, are both retried", async () => {
    const { fake, brain } = await setup([
      overloaded,
      { status: 529, error_type: "overloaded_error", message: "Overloaded", in_stream: true },
      reply("made it"),
    ]);
    const r = await brain.reply(request([first]));
    expect(r.content).toEqual([{ type: "text", text: "made it" }]);
    expect(fake.requests).toHaveLength(3);
  });

  test("gives up after maxRetries with the API's message", async () => {
    const down = { status: 500, error_type: "api_error", message: "Internal server error" } as const;
    const { fake, brain } = await setup([down, down, down, reply("never")], { maxRetries: 2 });
    const err = await brain.reply(request([first])).catch((e: unknown) => e);
    expect(err).toMatchObject({
      message: "Claude API 500 api_error: Internal server error (after 3 attempts)",
      status: 500,
      retryable: true,
    });
    expect(fake.requests).toHaveLength(3);
  });

  test("a 401 fails at once with a clear error", async () => {
    const { fake } = await setup([reply("never")]);
    const brain = new ClaudeBrain({
      apiKey: "sk-wrong-key",
      baseURL: fake.url,
      model: MODEL,
      retryBaseMs: 1,
    });
    const err = await brain.reply(request([first])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClaudeBrainError);
    expect(err).toMatchObject({
      message: "Claude API 401 authentication_error: invalid x-api-key — check ANTHROPIC_API_KEY",
      status: 401,
      retryable: false,
    });
    expect(fake.requests).toHaveLength(1);
  });

  test("a 400 is not retried and carries the API's message", async () => {
    const { fake, brain } = await setup([
      {
        status: 400,
        error_type: "invalid_request_error",
        message: "prompt is too long: 210000 tokens > 200000",
      },
      reply("never"),
    ]);
    await expect(brain.reply(request([first]))).rejects.toThrow(
      "Claude API 400 invalid_request_error: prompt is too long: 210000 tokens > 200000",
    );
    expect(fake.requests).toHaveLength(1);
  });

  test("a connection dropped mid-stream, and a stream that stalls, are retried", async () => {
    const { fake, brain } = await setup([{ fault: "disconnect" }, { fault: "stall" }, reply("recovered")], {
      timeoutMs: 200,
    });
    const r = await brain.reply(request([first]));
    expect(r.content).toEqual([{ type: "text", text: "recovered" }]);
    expect(fake.requests).toHaveLength(3);
  });

  test("connection failures are retried, then reported", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const brain = new ClaudeBrain({ apiKey: KEY, baseURL: url, model: MODEL, retryBaseMs: 1, maxRetries: 1 });
    await expect(brain.reply(request([first]))).rejects.toThrow(/Claude API unreachable.*after 2 attempts/);
  });

  test("max_tokens drops a tool call that was cut off and keeps the text; an emptied turn is not resent", async () => {
    const { fake, brain } = await setup([
      {
        content: [
          { type: "text", text: "Writing down the findings." },
          {
            type: "tool_use",
            id: "toolu_cut",
            name: "add_note",
            input: {},
            partial_json: '{"text": "Findings: the lim',
          },
        ],
        stop_reason: "max_tokens",
      },
      {
        content: [{ type: "tool_use", id: "toolu_cut2", name: "add_note", input: {}, partial_json: '{"te' }],
        stop_reason: "max_tokens",
      },
      reply("Short now."),
    ]);
    const r1 = await brain.reply(request([first]));
    expect(r1.stop_reason).toBe("max_tokens");
    expect(r1.content).toEqual([{ type: "text", text: "Writing down the findings." }]);

    const r2 = await brain.reply(request([first]));
    expect(r2).toMatchObject({ stop_reason: "max_tokens", content: [] });

    // What the worker does next: record the empty turn, nudge, ask again.
    const nudge: Message = { role: "user", content: [{ type: "text", text: "Continue." }] };
    const r3 = await brain.reply(request([first, { role: "assistant", content: r2.content }, nudge]));
    expect(r3.stop_reason).toBe("end_turn");
    expect(bodyOf(fake, 2).messages.map((m) => m.role)).toEqual(["user", "user"]);
  });

  test("pause_turn is continued with the turn so far and the parts are merged", async () => {
    const { fake, brain } = await setup([
      {
        content: [{ type: "text", text: "Looking." }],
        stop_reason: "pause_turn",
        usage: { input_tokens: 100, output_tokens: 20 },
      },
      {
        content: [{ type: "tool_use", id: "toolu_p", name: "service_status", input: {} }],
        stop_reason: "tool_use",
        usage: { input_tokens: 130, output_tokens: 30, cache_read_input_tokens: 80 },
      },
    ]);
    const r = await brain.reply(request([first]));
    expect(r.content).toEqual([
      { type: "text", text: "Looking." },
      { type: "tool_use", id: "toolu_p", name: "service_status", input: {} },
    ]);
    expect(r.stop_reason).toBe("tool_use");
    expect(r.usage).toEqual({
      input_tokens: 230,
      output_tokens: 50,
      cache_read_input_tokens: 80,
      cache_creation_input_tokens: 0,
    });
    const continued = bodyOf(fake, 1).messages;
    expect(continued.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(continued[1]?.content[0]).toMatchObject({ type: "text", text: "Looking." });
  });

  test("pause_turn continuations are bounded", async () => {
    const paused: ScriptedTurn = { content: [{ type: "text", text: "…" }], stop_reason: "pause_turn" };
    const { fake, brain } = await setup([paused, paused, paused, paused, paused]);
    const r = await brain.reply(request([first]));
    expect(r.stop_reason).toBe("pause_turn");
    expect(fake.requests).toHaveLength(4);
    expect(fake.remaining()).toBe(1);
  });

  test("a full context window ends the turn as max_tokens", async () => {
    const { brain } = await setup([reply("Partial.", { stop_reason: "model_context_window_exceeded" })]);
    const r = await brain.reply(request([first]));
    expect(r).toMatchObject({ stop_reason: "max_tokens", content: [{ type: "text", text: "Partial." }] });
  });

  test("a refusal comes back as refusal", async () => {
    const { brain } = await setup([reply("I can't help with that.", { stop_reason: "refusal" })]);
    const r = await brain.reply(request([first]));
    expect(r).toMatchObject({
      stop_reason: "refusal",
      content: [{ type: "text", text: "I can't help with that." }],
    });
  });

  test("secrets are redacted from everything sent", async () => {
    const secret = "sk-ant-api03-XXXXXXXXXXXX";
    const { fake, brain } = await setup([reply("ok"), reply("ok")]);
    const history: Message[] = [
      { role: "user", content: [{ type: "text", text: `The key is ${secret}` }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t1", name: "add_note", input: { text: `saw ${secret}` } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "t1", content: `env: ANTHROPIC_API_KEY=${secret}` }],
      },
    ];
    await brain.reply({ ...request(history), system: `never print ${secret}` });
    const raw = fake.requests[0]?.raw ?? "";
    expect(raw).not.toContain(secret);
    expect(raw).toContain("[REDACTED]");

    const custom = new ClaudeBrain({
      apiKey: KEY,
      baseURL: fake.url,
      model: MODEL,
      redact: (s) => s.replaceAll("hunter2", "[gone]"),
    });
    await custom.reply(request([{ role: "user", content: [{ type: "text", text: "password hunter2" }] }]));
    expect(fake.requests[1]?.raw).not.toContain("hunter2");
  });

  test("defaults: claude-sonnet-4-6 (config's agent.model default), and an API key is required", () => {
    expect(new ClaudeBrain({ apiKey: KEY }).model).toBe("claude-sonnet-4-6");
    expect(() => new ClaudeBrain({ apiKey: "" })).toThrow("ANTHROPIC_API_KEY");
  });

  test("the model option and max tokens are sent", async () => {
    const { fake, brain } = await setup([reply("hi")], { model: "claude-haiku-4-5", maxTokens: 512 });
    const r = await brain.reply(request([first]));
    expect(bodyOf(fake, 0)).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 512 });
    expect(r.model).toBe("claude-haiku-4-5");
    expect(brain.model).toBe("claude-haiku-4-5");
    expect(brain.name).toBe("claude");
  });
});

describe("claude brain in the agent loop", () => {
  test("a recorded add_note → finish conversation drives a real ticket to verifying", async () => {
    const { core } = testCore();
    const fake = await startFakeAnthropic(parseScript(addNoteFinish), { apiKey: KEY });
    fakes.push(fake);
    const metrics: MetricsBackend = {
      kind: "embedded",
      instantQuery: async () => ({ resultType: "vector", result: [] }),
      rangeQuery: async () => ({ resultType: "matrix", result: [] }),
    };
    const logs: string[] = [];
    const agent = testAgent(core, {
      brain: new ClaudeBrain({
        apiKey: KEY,
        baseURL: fake.url,
        model: MODEL,
        retryBaseMs: 1,
        redact: (s) => core.redactor.text(s),
      }),
      metrics,
      log: (msg) => logs.push(msg),
    });
    const t = testTicket(
      core,
      {
        title: "Write up the denial spike",
        objective: "Note what you find.",
        success_criteria: [upCriterion],
      },
      "test",
    );

    expect(await agent.runOnce("w1")).toBe(t.id);
    expect(logs).toEqual([]);
    const done = core.tickets.get(t.id);
    expect(done.status).toBe("verifying");
    expect(done.resolution).toBe("Recorded the finding; nothing to change.");

    const events = core.tickets.events(t.id);
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === "brain_turn")).toHaveLength(2);
    expect(events.find((e) => e.kind === "note")?.data.text).toBe(
      "Checked the ticket: no action on the service is needed.",
    );
    const turn = events.find((e) => e.kind === "brain_turn");
    expect(turn?.data).toMatchObject({
      brain: "claude",
      model: MODEL,
      stop_reason: "tool_use",
      usage: { input_tokens: 1850, cache_creation_input_tokens: 1536 },
    });

    // The second request carried the first turn and its tool result, in the order the API requires.
    const second = fake.requests[1]?.body as Body;
    expect(second.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(second.messages[2]?.content[0]).toMatchObject({
      type: "tool_result",
      tool_use_id: "toolu_rec_01",
      content: '<tool_output tool="add_note" trust="harness">\nnote added\n</tool_output>',
    });
    expect(fake.remaining()).toBe(0);
  });
});

describe("pricing", () => {
  const usage = {
    input_tokens: 1_000_000,
    output_tokens: 1_000_000,
    cache_creation_input_tokens: 1_000_000,
    cache_read_input_tokens: 1_000_000,
  };

  test("prices per million tokens, cache writes at 1.25× and reads at 0.1× input", () => {
    expect(costUsd("claude-sonnet-4-5", usage)).toBeCloseTo(3 + 15 + 3.75 + 0.3, 9);
    expect(costUsd("claude-sonnet-4-5-20250929", usage)).toBeCloseTo(22.05, 9);
    expect(costUsd("claude-opus-4-1", usage)).toBeCloseTo(15 + 75 + 18.75 + 1.5, 9);
    expect(costUsd("claude-opus-4-5", usage)).toBeCloseTo(5 + 25 + 6.25 + 0.5, 9);
    expect(costUsd("claude-haiku-4-5", usage)).toBeCloseTo(1 + 5 + 1.25 + 0.1, 9);
    expect(costUsd("claude-haiku-4-5", { input_tokens: 2000, output_tokens: 100 })).toBeCloseTo(0.0025, 12);
  });

  test("an unknown model has no price", () => {
    expect(costUsd("runbook-v1", usage)).toBeNull();
    expect(costUsd("claude-future-9", usage)).toBeNull();
    expect(costUsd("constructor", usage)).toBeNull();
  });
});
