import { afterEach, describe, expect, test } from "bun:test";
import { type FakeAnthropic, startFakeAnthropic } from "../../testing/fake-anthropic";
import { ClaudeBrain, outageKind } from "./claude";

const KEY = "sk-test-fake-key-000";
const MODEL = "claude-sonnet-4-6";

const fakes: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function fake(script: Parameters<typeof startFakeAnthropic>[0]) {
  const f = await startFakeAnthropic(script, { apiKey: KEY, probes: "script" });
  fakes.push(f);
  return f;
}

/** A loopback port nothing listens on any more. */
async function closedUrl(): Promise<string> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  await s.stop(true);
  return url;
}

describe("ClaudeBrain.probe", () => {
  test("one Messages request for one token, not streamed and not retried", async () => {
    const f = await fake([{ content: [{ type: "text", text: "p" }], stop_reason: "max_tokens" }]);
    const brain = new ClaudeBrain({ apiKey: KEY, baseURL: f.url, model: MODEL });
    expect(await brain.probe()).toEqual({ ok: true });
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]).toMatchObject({ method: "POST", path: "/v1/messages" });
    expect(f.requests[0]?.auth).not.toBeNull();
    expect(f.requests[0]?.body).toMatchObject({ model: MODEL, max_tokens: 1 });
    expect(((f.requests[0]?.body ?? {}) as { stream?: boolean }).stream).toBeUndefined();
  });

  test("a wrong key is an auth outage naming the variable to fix", async () => {
    const f = await fake([]);
    const brain = new ClaudeBrain({ apiKey: "sk-wrong", baseURL: f.url, model: MODEL });
    expect(await brain.probe()).toEqual({
      ok: false,
      reason: "Claude API 401 authentication_error: invalid x-api-key — check ANTHROPIC_API_KEY",
      kind: "auth",
    });
  });

  test("an unreachable URL is an unreachable outage, after one try", async () => {
    const brain = new ClaudeBrain({ apiKey: KEY, baseURL: await closedUrl(), model: MODEL });
    const r = await brain.probe();
    expect(r).toMatchObject({ ok: false, kind: "unreachable" });
    expect(r.ok ? "" : r.reason).toMatch(/^Claude API unreachable/);
    expect(r.ok ? "" : r.reason).not.toContain("attempts");
  });

  test("an overload is an overloaded outage; the probe does not wait out retries", async () => {
    const f = await fake([
      { status: 529, error_type: "overloaded_error", message: "Overloaded" },
      { content: [{ type: "text", text: "p" }], stop_reason: "end_turn" },
    ]);
    const brain = new ClaudeBrain({ apiKey: KEY, baseURL: f.url, model: MODEL });
    expect(await brain.probe()).toEqual({
      ok: false,
      reason: "Claude API 529 overloaded_error: Overloaded",
      kind: "overloaded",
    });
    expect(f.requests).toHaveLength(1);
    expect(await brain.probe()).toEqual({ ok: true });
  });

  test.each([
    [401, false, "auth"],
    [403, false, "auth"],
    [null, true, "unreachable"],
    [null, false, "rejected"],
    [429, true, "overloaded"],
    [500, true, "overloaded"],
    [529, true, "overloaded"],
    [501, false, "overloaded"],
    [400, false, "rejected"],
    [404, false, "rejected"],
  ] as const)("status %p (retryable %p) is %s", (status, retryable, kind) => {
    expect(outageKind(status, retryable)).toBe(kind);
  });
});
