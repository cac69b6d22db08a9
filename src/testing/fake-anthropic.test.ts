import { afterEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import {
  type FakeAnthropic,
  loadScript,
  parseScript,
  type ScriptedTurn,
  startFakeAnthropic,
} from "./fake-anthropic";

const KEY = "sk-test-fake-key-000";
const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function start(script: ScriptedTurn[]) {
  const fake = await startFakeAnthropic(script, { apiKey: KEY, chunkChars: 8 });
  fakes.push(fake);
  return fake;
}

const toolTurn: ScriptedTurn = {
  content: [
    { type: "text", text: "Checking." },
    {
      type: "tool_use",
      id: "toolu_1",
      name: "query_metrics",
      input: { query: "sum(rate(denied_total[5m]))" },
    },
  ],
  stop_reason: "tool_use",
  usage: { input_tokens: 30, output_tokens: 20, cache_read_input_tokens: 7 },
};

const post = (fake: FakeAnthropic, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": KEY,
      "anthropic-version": "2023-06-01",
      ...headers,
    },
    body: JSON.stringify(body),
  });

const minimal = { model: "m", max_tokens: 10, messages: [{ role: "user" as const, content: "hi" }] };

describe("fake anthropic", () => {
  test("answers non-streaming requests with a Message the SDK parses", async () => {
    const fake = await start([toolTurn]);
    const client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
    const msg = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      stop_reason: "tool_use",
      content: [
        { type: "text", text: "Checking." },
        {
          type: "tool_use",
          id: "toolu_1",
          name: "query_metrics",
          input: { query: "sum(rate(denied_total[5m]))" },
        },
      ],
      usage: {
        input_tokens: 30,
        output_tokens: 20,
        cache_read_input_tokens: 7,
        cache_creation_input_tokens: 0,
      },
    });
    expect(fake.requests[0]?.body).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 100 });
  });

  test("streams the API's SSE events, splitting text and tool input into deltas", async () => {
    const fake = await start([toolTurn]);
    const res = await post(fake, { ...minimal, stream: true });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const events = text
      .trim()
      .split("\n\n")
      .map((chunk) => {
        const [eventLine, dataLine] = chunk.split("\n");
        expect(eventLine).toStartWith("event: ");
        expect(dataLine).toStartWith("data: ");
        const data = JSON.parse(dataLine?.slice(6) ?? "") as { type: string; delta?: { type: string } };
        expect(data.type).toBe(eventLine?.slice(7) ?? "");
        return data;
      });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("message_start");
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(types.filter((t) => t === "content_block_start")).toHaveLength(2);
    expect(types.filter((t) => t === "content_block_stop")).toHaveLength(2);
    const jsonDeltas = events.filter((e) => e.delta?.type === "input_json_delta");
    expect(jsonDeltas.length).toBeGreaterThan(3);
    const joined = jsonDeltas
      .map((e) => (e.delta as unknown as { partial_json: string }).partial_json)
      .join("");
    expect(JSON.parse(joined)).toEqual({ query: "sum(rate(denied_total[5m]))" });
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" }, usage: { output_tokens: 20 } });
  });

  test("the SDK's stream helper rebuilds the same message", async () => {
    const fake = await start([toolTurn]);
    const client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
    const msg = await client.messages.stream({ ...minimal, model: "claude-haiku-4-5" }).finalMessage();
    expect(msg.content).toMatchObject([
      { type: "text", text: "Checking." },
      {
        type: "tool_use",
        id: "toolu_1",
        name: "query_metrics",
        input: { query: "sum(rate(denied_total[5m]))" },
      },
    ]);
    expect(msg.usage).toMatchObject({ input_tokens: 30, output_tokens: 20, cache_read_input_tokens: 7 });
  });

  test("rejects a missing or wrong key with a 401 authentication_error", async () => {
    const fake = await start([toolTurn]);
    for (const headers of [{ "x-api-key": "" }, { "x-api-key": "nope" }]) {
      const res = await post(fake, minimal, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    }
    const bearer = await post(fake, minimal, { "x-api-key": "", authorization: `Bearer ${KEY}` });
    expect(bearer.status).toBe(200);
    expect(fake.requests.at(-1)?.auth).toBe("bearer");
    expect(JSON.stringify(fake.requests)).not.toContain(KEY);
  });

  test("rejects malformed bodies with a 400 invalid_request_error, without using a turn", async () => {
    const fake = await start([toolTurn]);
    const bad = [
      { messages: minimal.messages, max_tokens: 10 },
      { model: "m", messages: minimal.messages },
      { model: "m", max_tokens: 10, messages: [] },
      { ...minimal, messages: [{ role: "user", content: [] }] },
      {
        ...minimal,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "x", input: {} }] },
          { role: "user", content: "no result" },
        ],
      },
    ];
    for (const body of bad) {
      const res = await post(fake, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    }
    const noVersion = await post(fake, minimal, { "anthropic-version": "" });
    expect(noVersion.status).toBe(400);
    expect(fake.remaining()).toBe(1);
  });

  test("plays error turns with retry-after, and says when the script is exhausted", async () => {
    const fake = await start([
      { status: 429, error_type: "rate_limit_error", message: "slow down", retry_after: 3 },
    ]);
    const limited = await post(fake, minimal);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await limited.json()).toMatchObject({ error: { type: "rate_limit_error", message: "slow down" } });
    const exhausted = await post(fake, minimal);
    expect(exhausted.status).toBe(400);
    expect(await exhausted.text()).toContain("script exhausted");
  });

  test("replays a recorded conversation file", async () => {
    const script = await loadScript(`${import.meta.dir}/../agent/brains/recordings/add-note-finish.json`);
    const fake = await start(script);
    const client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
    const msg = await client.messages.create(minimal);
    expect(msg).toMatchObject({
      id: "msg_rec_01",
      stop_reason: "tool_use",
      content: [{}, { name: "add_note" }],
    });
  });

  test("parseScript accepts recorded turns and names what is wrong with a bad one", () => {
    expect(
      parseScript([toolTurn, { status: 529, error_type: "overloaded_error", message: "Overloaded" }]),
    ).toHaveLength(2);
    expect(() => parseScript([{ content: [{ type: "text" }], stop_reason: "end_turn" }])).toThrow(
      "invalid fake-anthropic script",
    );
  });
});
