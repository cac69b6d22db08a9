import { afterEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../lib/clock";
import { send } from "./send";

const servers: { stop: (force: boolean) => void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function serve(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  servers.push(server);
  return `http://127.0.0.1:${server.port}/secret-path`;
}

const post = (url: string, clock = new FakeClock()) =>
  send({ url, headers: { "content-type": "application/json" }, body: "{}" }, { clock, timeoutMs: 10_000 });

describe("send", () => {
  test("a receiver that does not answer is cut off at the timeout, on the clock", async () => {
    const clock = new FakeClock();
    const pending = post(
      serve(() => new Promise<Response>(() => {})),
      clock,
    );
    clock.advance(10_000);
    expect(await pending).toEqual({
      ok: false,
      status: null,
      error: "cannot reach the receiver: no answer within 10000 ms",
      retryable: true,
      duration_ms: 10_000,
    });
    expect(clock.pendingTimers).toBe(0);
  });

  test("an endless error body is quoted from its start only", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    const url = serve(
      () =>
        new Response(new ReadableStream({ pull: (c) => c.enqueue(chunk) }), {
          status: 503,
        }),
    );
    const r = await post(url);
    expect(r).toMatchObject({ ok: false, status: 503, retryable: true });
    expect(r.error?.length).toBeLessThanOrEqual("HTTP 503: ".length + 200);
  });

  test("a redirect is not followed and not retried", async () => {
    const r = await post(
      serve(() => new Response(null, { status: 302, headers: { location: "http://x/" } })),
    );
    expect(r).toMatchObject({ ok: false, status: 302, retryable: false });
  });

  test("errors never quote the URL (for Slack it is the secret)", async () => {
    let url = "";
    url = serve(() => new Response(`no hook at ${url}`, { status: 404 }));
    expect((await post(url)).error).toBe("HTTP 404: no hook at <url>");
    const refused = await post("http://127.0.0.1:9/secret-path");
    expect(refused).toMatchObject({ ok: false, status: null, retryable: true });
    expect(refused.error).not.toContain("127.0.0.1:9/secret-path");
  });
});
