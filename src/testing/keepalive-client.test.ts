import { afterEach, expect, test } from "bun:test";
import { keepAliveClient } from "./keepalive-client";

type Behaviour = (n: number) => "answer" | "answer-close" | "drop";
let stop: (() => void) | undefined;
afterEach(() => stop?.());

/** A server that, for its n-th request overall, answers, answers with Connection: close, or closes unanswered. */
function server(behave: Behaviour): number {
  let n = 0;
  const l = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, d) {
        s.data.buf += d.toString("latin1");
        const end = s.data.buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(s.data.buf)?.[1] ?? 0);
        if (s.data.buf.length < end + 4 + length) return;
        s.data.buf = "";
        const what = behave(++n);
        if (what === "drop") return void s.end();
        const body = `{"n":${n}}`;
        s.write(
          `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${what === "answer-close" ? "connection: close\r\n" : ""}\r\n${body}`,
        );
      },
    },
  });
  stop = () => l.stop(true);
  return l.port;
}

test("keeps one connection alive, and reconnects when an answer says Connection: close", async () => {
  const c = keepAliveClient(server((n) => (n === 2 ? "answer-close" : "answer")));
  for (let i = 1; i <= 4; i++) expect((await c.post("/", "{}")).body).toBe(`{"n":${i}}`);
  expect(c.stats).toEqual({ connections: 2, staleRetries: 0 });
  c.close();
});

test("a request lost on a reused connection is sent once more on a new one, and counted", async () => {
  const c = keepAliveClient(server((n) => (n === 2 ? "drop" : "answer")));
  expect((await c.post("/", "{}")).body).toBe('{"n":1}');
  expect((await c.post("/", "{}")).body).toBe('{"n":3}');
  expect(c.stats).toEqual({ connections: 2, staleRetries: 1 });
  c.close();
});

test("a fresh connection closed without an answer is a failure, not retried", async () => {
  const c = keepAliveClient(server(() => "drop"));
  await expect(c.post("/", "{}")).rejects.toThrow("fresh connection");
  expect(c.stats.staleRetries).toBe(0);
});
