import { describe, expect, test } from "bun:test";
import { headerOf, type ParseEvent, RequestParser } from "./parse";

const limits = { maxHeadBytes: 1024, maxBodyBytes: 4096 };

/** Feeds `raw` in pieces of `step` bytes and collects every event. */
function feed(raw: string | Buffer, step = Number.POSITIVE_INFINITY): ParseEvent[] {
  const bytes = typeof raw === "string" ? Buffer.from(raw) : raw;
  const p = new RequestParser(limits);
  const events: ParseEvent[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(step, bytes.length)) {
    p.push(Buffer.from(bytes.subarray(i, Math.min(bytes.length, i + step))));
    for (let ev = p.next(); ev; ev = p.next()) events.push(ev);
  }
  return events;
}

/** Events as plain data, so streams can be compared. */
function summary(events: ParseEvent[]) {
  return events.map((ev) =>
    ev.type === "request"
      ? {
          method: ev.request.method,
          path: ev.request.path,
          query: ev.request.query,
          headers: ev.request.headers,
          body: ev.request.text(),
          keepAlive: ev.request.keepAlive,
          http10: ev.request.http10,
        }
      : ev,
  );
}

const post = (body: string, extra = "") =>
  `POST /v1/check?status=429 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("HTTP/1.1 request parser", () => {
  test("a request with a body: method, path, query, headers as sent, body text", () => {
    const [ev] = summary(feed(post('{"key":"é"}')));
    expect(ev).toEqual({
      method: "POST",
      path: "/v1/check",
      query: "status=429",
      headers: ["Host", "x", "Content-Type", "application/json", "Content-Length", "12"],
      body: '{"key":"é"}',
      keepAlive: true,
      http10: false,
    });
  });

  test.each([
    ["found in lower case", "host: x\r\ncontent-length: 2\r\n", 2],
    ["found in upper case", "HOST: x\r\nCONTENT-LENGTH: 2\r\n", 2],
    ["found in mixed case", "hOsT: x\r\ncontent-LENGTH: 2\r\n", 2],
    ["not taken from a look-alike name", "Host: x\r\nContent_Length: 2\r\n", 0],
  ])("framing headers are %s", (_, headers, bodyLength) => {
    const events = feed(`POST / HTTP/1.1\r\n${headers}\r\nok`);
    const ev = events[0];
    if (ev?.type !== "request") throw new Error(`no request: ${JSON.stringify(ev)}`);
    expect(ev.request.bodyLength).toBe(bodyLength);
  });

  test("headerOf finds a header whatever the case it was sent in", () => {
    const [ev] = feed(post("{}", "X-Request-Id:  abc \t\r\n"));
    if (ev?.type !== "request") throw new Error("no request");
    expect(headerOf(ev.request, "x-request-id")).toBe("abc");
    expect(headerOf(ev.request, "content-type")).toBe("application/json");
    expect(headerOf(ev.request, "absent")).toBeUndefined();
  });

  const pipelined = [
    "\r\n", // an empty line before a request is ignored (RFC 9112 2.2)
    post('{"key":"a"}'),
    "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n",
    "POST /json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: t\r\n\r\n",
    "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET /x HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n",
  ].join("");

  test("pipelined requests come out in order, whole, with keep-alive as each asked", () => {
    const got = summary(feed(pipelined));
    expect(got.map((r) => ("path" in r ? [r.path, r.body, r.keepAlive, r.http10] : r))).toEqual([
      ["/v1/check", '{"key":"a"}', true, false],
      ["/healthz", "", true, false],
      ["/json", "Wikipedia", true, false],
      ["/metrics", "", true, true],
      ["/x", "", false, false],
    ]);
  });

  test("a repeated head is reused only when every byte is the same; bodies are each request's own", () => {
    const req = (path: string, conn: string, body: string) =>
      `POST ${path} HTTP/1.1\r\nHost: h\r\nConnection: ${conn}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const stream = [
      req("/aa?x=1", "keep-alive", "one"),
      req("/aa?x=1", "keep-alive", "two"), // the same head
      req("/bb?y=2", "keep-alive", "333"), // same length, other path
      req("/bb?y=2", "close     ", "444"), // same length, other connection option
      req("/bb?y=2", "Close     ", "555"), // differs in case only
    ].join("");
    const got = feed(stream).flatMap((e) => (e.type === "request" ? [e.request] : []));
    expect(got.map((r) => [r.path, r.query, r.text(), r.keepAlive])).toEqual([
      ["/aa", "x=1", "one", true],
      ["/aa", "x=1", "two", true],
      ["/bb", "y=2", "333", true],
      ["/bb", "y=2", "444", false],
      ["/bb", "y=2", "555", false],
    ]);
    expect(got[4]?.headers).toEqual(["Host", "h", "Connection", "Close", "Content-Length", "3"]);
    // A head the parser refused is never taken for a repeat of the last good one.
    const bad = `${req("/aa?x=1", "keep-alive", "one")}POST /aa?x=1 HTTP/1.1\r\nHost: h\r\nConnection:\x01keep-alive\r\nContent-Length: 3\r\n\r\none`;
    const events = feed(bad);
    expect(events.map((e) => e.type)).toEqual(["request", "error"]);
  });

  test.each([1, 2, 3, 7, 64])("the same stream split every %i bytes parses the same", (step) => {
    expect(summary(feed(pipelined, step))).toEqual(summary(feed(pipelined)));
  });

  test("absolute-form targets are reduced to their path and query", () => {
    const [ev] = summary(feed("GET http://example.com:8080/v1/buckets/a?x=1 HTTP/1.1\r\nHost: e\r\n\r\n"));
    expect(ev).toMatchObject({ path: "/v1/buckets/a", query: "x=1" });
  });

  test("Expect: 100-continue asks for a 100 once, only while the body has not come", () => {
    const head = "POST /v1/check HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    const p = new RequestParser(limits);
    p.push(Buffer.from(head));
    expect(p.next()).toEqual({ type: "continue" });
    expect(p.next()).toBeUndefined();
    p.push(Buffer.from("{}"));
    expect(p.next()?.type).toBe("request");
    // Body already here: no 100.
    expect(feed(`${head}{}`).map((e) => e.type)).toEqual(["request"]);
  });

  test.each([
    ["bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n\r\n\r\n", 400, /bare CR\/LF/],
    ["a control character in a value", "GET / HTTP/1.1\r\nHost: x\x01\r\n\r\n", 400, /control/],
    ["whitespace before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, /malformed header/],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n", 400, /folding/],
    [
      "a header line without a colon",
      "GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n",
      400,
      /malformed header/,
    ],
    ["three parts missing", "GET /\r\nHost: x\r\n\r\n", 400, /request line/],
    ["a space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, /request line/],
    ["a bad method token", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, /request line/],
    ["HTTP/2.0 over this framing", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, /not supported/],
    ["a target that is no path", "GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400, /target/],
    ["no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400, /host header/],
    ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, /more than one host/],
    ["a non-numeric length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", 400, /number/],
    ["a negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, /number/],
    [
      "two different lengths",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      400,
      /conflicting/,
    ],
    [
      "length and chunked together (smuggling)",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
      /together/,
    ],
    [
      "an encoding other than chunked",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      501,
      /not supported/,
    ],
    [
      "chunked in HTTP/1.0",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
      /HTTP\/1.0/,
    ],
    [
      "a bad chunk size",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      400,
      /chunk size/,
    ],
    [
      "chunk data too long for its size",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
      400,
      /CRLF/,
    ],
    ["an unknown expectation", "GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417, /expectation/],
    [
      "a head over the limit",
      `GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(2000)}\r\n\r\n`,
      431,
      /head larger/,
    ],
    ["a head over the limit, unfinished", `GET / HTTP/1.1\r\nX: ${"a".repeat(2000)}`, 431, /head larger/],
    [
      "a declared body over the limit",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
      413,
      /body larger/,
    ],
    [
      "a chunked body over the limit",
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${"800\r\n".concat("a".repeat(0x800), "\r\n").repeat(3)}`,
      413,
      /body larger/,
    ],
  ])("refuses %s", (_name, raw, status, message) => {
    const events = feed(raw as string);
    const last = events.at(-1);
    expect(last?.type).toBe("error");
    if (last?.type !== "error") return;
    expect(last.status).toBe(status as number);
    expect(last.message).toMatch(message as RegExp);
    // Nothing is read after a refusal: the connection is to be closed.
    expect(events.filter((e) => e.type === "error").length).toBe(1);
  });

  test("a refused oversized body says how much of it is still to come, so it can be drained", () => {
    const head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
    const [ev] = feed(`${head}${"a".repeat(1000)}`);
    expect(ev).toMatchObject({ type: "error", status: 413, discard: 4000 });
  });

  test("a request after a refusal is never parsed", () => {
    const p = new RequestParser(limits);
    p.push(Buffer.from("GET / HTTP/9.9\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(p.next()?.type).toBe("error");
    expect(p.next()).toBeUndefined();
  });

  test("a slow sender of a chunked body costs linear work: one byte at a time still parses", () => {
    const chunks = Array.from({ length: 200 }, () => "5\r\nabcde\r\n").join("");
    const raw = `POST /v1/check HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`;
    const [ev] = summary(feed(raw, 1));
    expect(ev).toMatchObject({ body: "abcde".repeat(200) });
  });
});
