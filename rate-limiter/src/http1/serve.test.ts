import { afterEach, describe, expect, test } from "bun:test";
import { freshRequest, tcpClient } from "../testing/tcp-client";
import { headerOf } from "./parse";
import { type Http1Server, type HttpResponse, type ServeOptions, serveHttp1 } from "./serve";

const servers: Http1Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop(100);
});

function start(handle: ServeOptions["handle"], opts: Partial<ServeOptions> = {}): Http1Server {
  const s = serveHttp1({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    idleTimeoutSeconds: 30,
    maxHeadBytes: 8 * 1024,
    maxBodyBytes: 1024 * 1024,
    handle,
    ...opts,
  });
  servers.push(s);
  return s;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { "content-type": "text/plain", ...headers },
  body,
});

/** A raw TCP client: write bytes, read until the received text satisfies `until`, or the peer closes. */
async function raw(
  port: number,
  chunks: string[],
  until: (got: string) => boolean,
  pauseMs = 0,
  waitMs = 5000,
) {
  let got = "";
  let closed = false;
  let wake = () => {};
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        got += d.toString("latin1");
        wake();
      },
      close() {
        closed = true;
        wake();
      },
    },
  });
  for (const c of chunks) {
    sock.write(c);
    if (pauseMs) await Bun.sleep(pauseMs);
  }
  const deadline = Date.now() + waitMs;
  while (!until(got) && !closed && Date.now() < deadline)
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 50);
    });
  // Give a close that follows the answer a moment to arrive.
  if (!closed) await Bun.sleep(30);
  const result = { got, closed };
  sock.end();
  return result;
}

const responses = (got: string) => got.split(/(?=HTTP\/1\.1 \d{3} )/).filter(Boolean);

describe("HTTP/1.1 listener", () => {
  test("keep-alive: two requests on one connection, each with Date and Content-Length", async () => {
    const s = start((req) => text(200, `hello ${req.path}`));
    const { got, closed } = await raw(
      s.port,
      ["GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /bb HTTP/1.1\r\nHost: x\r\n\r\n"],
      (g) => responses(g).length === 2 && g.endsWith("hello /bb"),
      20,
    );
    const [a, b] = responses(got);
    expect(a).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(a).toMatch(/\r\ndate: .+ GMT\r\n/);
    expect(a).toContain("content-length: 8\r\n");
    expect(a?.endsWith("\r\n\r\nhello /a")).toBe(true);
    expect(b?.endsWith("hello /bb")).toBe(true);
    expect(closed).toBe(false);
  });

  test("pipelined requests are answered in order even when an earlier answer is slower", async () => {
    const s = start((req) =>
      req.path === "/slow"
        ? Bun.sleep(50).then(() => text(200, "slow"))
        : req.path === "/async"
          ? Promise.resolve(text(200, "async"))
          : text(200, "fast"),
    );
    const pipeline = ["/slow", "/fast", "/async", "/fast"]
      .map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`)
      .join("");
    const { got } = await raw(s.port, [pipeline], (g) => responses(g).length === 4);
    expect(responses(got).map((r) => r.split("\r\n\r\n")[1])).toEqual(["slow", "fast", "async", "fast"]);
  });

  test("HEAD answers the headers with the body's length and no body", async () => {
    const s = start(() => text(200, "twelve bytes"));
    const { got } = await raw(
      s.port,
      ["HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"],
      (g) => g.endsWith("twelve bytes"),
    );
    const [head, get] = responses(got);
    expect(head).toContain("content-length: 12\r\n");
    expect(head?.endsWith("\r\n\r\n")).toBe(true);
    expect(get?.endsWith("\r\n\r\ntwelve bytes")).toBe(true);
  });

  test("HTTP/1.0 closes after the answer unless it asked for keep-alive; Connection: close is honoured", async () => {
    const s = start(() => text(200, "ok"));
    const plain = await raw(s.port, ["GET / HTTP/1.0\r\n\r\n"], () => false);
    expect(plain.got).toContain("connection: close\r\n");
    expect(plain.closed).toBe(true);
    const kept = await raw(s.port, ["GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"], (g) =>
      g.endsWith("ok"),
    );
    expect(kept.got).toContain("connection: keep-alive\r\n");
    expect(kept.closed).toBe(false);
    const close = await raw(s.port, ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], () => false);
    expect(close.got).toContain("connection: close\r\n");
    expect(close.closed).toBe(true);
  });

  test("Expect: 100-continue gets a 100 before the body is sent, then the answer", async () => {
    const s = start((req) => text(200, `got ${req.text()}`));
    let got = "";
    let wake = () => {};
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: s.port,
      socket: {
        data(_s, d) {
          got += d.toString();
          wake();
        },
      },
    });
    const waitFor = async (s: string) => {
      const until = Date.now() + 3000;
      while (!got.includes(s) && Date.now() < until)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
    };
    sock.write("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    await waitFor("100 Continue");
    expect(got).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    sock.write("hello");
    await waitFor("got hello");
    expect(got).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*got hello$/);
    sock.end();
  });

  test("curl's own Expect: 100-continue upload and a chunked upload both arrive whole", async () => {
    if (!Bun.which("curl")) return console.warn("skipping: curl not installed");
    const s = start((req) => text(200, `${req.bodyLength} bytes`));
    const body = "x".repeat(200_000);
    const run = async (extra: string[]) => {
      // asynchronous spawn: the server under test shares this event loop
      const p = Bun.spawn(["curl", "-s", "--data-binary", "@-", ...extra, `http://127.0.0.1:${s.port}/up`], {
        stdin: Buffer.from(body),
      });
      return new Response(p.stdout).text();
    };
    expect(await run([])).toBe("200000 bytes");
    expect(await run(["-H", "Transfer-Encoding: chunked"])).toBe("200000 bytes");
  });

  test("malformed framing gets a 4xx with a message and the connection closes", async () => {
    const s = start(() => text(200, "never"));
    const { got, closed } = await raw(
      s.port,
      ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
      () => false,
    );
    expect(got).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(got).toContain("connection: close");
    expect(got).toContain('{"error":"content-length together with transfer-encoding"}');
    expect(closed).toBe(true);
  });

  test("a body over the limit gets a 413 the client can read while it is still sending", async () => {
    const s = start(() => text(200, "never"), { maxBodyBytes: 64 * 1024 });
    const res = await fetch(`http://127.0.0.1:${s.port}/`, {
      method: "POST",
      body: "a".repeat(2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/body larger than 65536 bytes/);
  });

  test("a handler that throws or rejects answers 500, is reported, and the connection goes on", async () => {
    const errors: string[] = [];
    const s = start(
      (req) => {
        if (req.path === "/throw") throw new Error("boom");
        if (req.path === "/reject") return Promise.reject(new Error("late boom"));
        return text(200, "fine");
      },
      { onError: (err, req) => errors.push(`${req.path}: ${(err as Error).message}`) },
    );
    const pipeline = ["/throw", "/reject", "/ok"].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join("");
    const { got, closed } = await raw(s.port, [pipeline], (g) => g.endsWith("fine"));
    expect(responses(got).map((r) => r.slice(9, 12))).toEqual(["500", "500", "200"]);
    expect(errors).toEqual(["/throw: boom", "/reject: late boom"]);
    expect(closed).toBe(false);
  });

  test("a large answer to a slow reader arrives whole (backpressure)", async () => {
    const big = "0123456789abcdef".repeat(512 * 1024); // 8 MiB
    const s = start(() => text(200, big));
    const res = await fetch(`http://127.0.0.1:${s.port}/big`);
    const reader = res.body?.getReader();
    let n = 0;
    let first = true;
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      if (first) await Bun.sleep(100); // let the socket's buffers fill
      first = false;
      n += chunk.value.byteLength;
    }
    expect(n).toBe(big.length);
  });

  test("drain: no new connections; an answer on an open one says Connection: close and ends it", async () => {
    const s = start(() => text(200, "ok"));
    const client = await tcpClient(s.port);
    s.drain();
    client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 100 && !client.state.closed; i++) await Bun.sleep(20);
    expect(client.state.got).toContain("connection: close\r\n");
    expect(client.state.got.endsWith("ok")).toBe(true);
    expect(client.state.closed).toBe(true);
    expect(await freshRequest(`http://127.0.0.1:${s.port}/`)).toBe("refused");
  });

  test("stop closes idle connections, lets an in-flight request finish, and refuses new ones", async () => {
    let release = () => {};
    const s = start((req) =>
      req.path === "/wait"
        ? new Promise<HttpResponse>((r) => {
            release = () => r(text(200, "finished"));
          })
        : text(200, "ok"),
    );
    const port = s.port;
    const idle = raw(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], () => false);
    const busy = raw(port, ["GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"], () => false);
    await Bun.sleep(100);
    expect(s.connections).toBe(2);
    const stopped = s.stop(5000);
    await Bun.sleep(50);
    expect(
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    release();
    await stopped;
    const [i, b] = await Promise.all([idle, busy]);
    expect(i.closed).toBe(true);
    expect(b.got).toContain("connection: close");
    expect(b.got.endsWith("finished")).toBe(true);
    expect(b.closed).toBe(true);
    servers.splice(0);
  });

  test("an idle connection is closed after the idle timeout", async () => {
    // Bun's socket timeouts tick every 4 s, so a timeout fires up to one tick early: 5 s means 4–8 s.
    const s = start(() => text(200, "ok"), { idleTimeoutSeconds: 5 });
    const started = Date.now();
    const { got, closed } = await raw(s.port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], () => false, 0, 12_000);
    expect(got.endsWith("ok")).toBe(true);
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  }, 15_000);

  test("two listeners share a port with reusePort, and both take connections", async () => {
    const a = start(() => text(200, "a"), { reusePort: true });
    const b = start(() => text(200, "b"), { reusePort: true, port: a.port });
    expect(b.port).toBe(a.port);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++)
      seen.add(await (await fetch(`http://127.0.0.1:${a.port}/`, { keepalive: false })).text());
    expect([...seen].sort()).toEqual(["a", "b"]);
  });

  test("fetch speaks to it: headers, status and a JSON body round-trip", async () => {
    const s = start((req) => ({
      status: 201,
      headers: { "content-type": "application/json", "x-seen": headerOf(req, "x-custom") ?? "" },
      body: JSON.stringify({ echo: JSON.parse(req.text()) }),
    }));
    const res = await fetch(`http://127.0.0.1:${s.port}/v1/check`, {
      method: "POST",
      headers: { "X-Custom": "yes" },
      body: JSON.stringify({ key: "ü" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-seen")).toBe("yes");
    expect(await res.json()).toEqual({ echo: { key: "ü" } });
  });
});
