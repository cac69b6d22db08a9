import type { Socket, TCPSocketListener } from "bun";
import { type HttpRequest, type ParserLimits, RequestParser } from "./parse";

/**
 * HTTP/1.1 over `Bun.listen`. `Bun.serve` builds a `Request`, its headers and a body stream for every
 * request and a `Response` for every answer; on this service's hot path that machinery costs more than
 * the rate limiting does. Here a handler gets the parsed request and returns plain data, which is
 * written as one string. Keep-alive, pipelining (answered in order), chunked request bodies,
 * `Expect: 100-continue`, HEAD, HTTP/1.0, backpressure, an idle timeout and a graceful stop are handled;
 * TLS and HTTP/2 are not (the service listens on loopback or behind a proxy).
 */

export interface HttpResponse {
  status: number;
  /**
   * Names as written; values must not contain CR or LF. Or the header lines already written out, each
   * ending in CRLF (the hot route's answer, built in one piece).
   */
  headers: Record<string, string> | string;
  body: string | Uint8Array;
  /** The header lines and body are ASCII, so their length in bytes is their length (no count needed). */
  ascii?: boolean;
}

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface ServeOptions extends ParserLimits {
  hostname: string;
  port: number;
  /** Share the port with another process (a new version during a handover). */
  reusePort: boolean;
  idleTimeoutSeconds: number;
  handle: Handler;
  /** A handler threw or rejected: the client got a 500. */
  onError?: (err: unknown, req: HttpRequest) => void;
}

export interface Http1Server {
  port: number;
  /**
   * Stops taking new connections (with reusePort, a process sharing the port gets them all), and from
   * now on every answer on an open connection carries `Connection: close` and ends it.
   */
  drain(): void;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes every connection. */
  stop(graceMs?: number): Promise<void>;
  /** Open connections (for tests and metrics). */
  readonly connections: number;
}

const reasons: Record<number, string> = {
  100: "Continue",
  200: "OK",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  417: "Expectation Failed",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

// RFC 9110 6.6.1: an origin server with a clock sends Date, its best approximation of the time. Written
// once a second by a timer (as uWS does), not looked up per response; running while any server is.
let dateLine = "";
let dateTimer: ReturnType<typeof setInterval> | undefined;
let servers = 0;
const refreshDate = () => {
  dateLine = `date: ${new Date().toUTCString()}\r\n`;
};
function dateClock(): () => void {
  if (servers++ === 0) {
    refreshDate();
    dateTimer = setInterval(refreshDate, 1000);
    dateTimer.unref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--servers === 0) clearInterval(dateTimer);
  };
}

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
// How long a refused request's remaining body is read and dropped, so the client reads the answer.
const LINGER_MS = 2000;

interface Conn {
  parser: RequestParser;
  /** A handler's promise is pending: later pipelined requests wait, so answers stay in order. */
  busy: boolean;
  /** Bytes the socket did not take yet; nothing more is parsed until they are written. */
  backlog: Buffer | undefined;
  /** End the connection once the backlog is written. */
  closing: boolean;
  /** Body bytes of a refused request still to read and drop before closing. */
  discard: number;
  linger: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

type Sock = Socket<Conn>;

/** Bytes of a rendered answer: its length when it is known to be ASCII. */
const bytesOf = (text: string | Uint8Array, ascii: boolean | undefined): number =>
  typeof text !== "string" ? text.byteLength : ascii ? text.length : Buffer.byteLength(text);

function render(res: HttpResponse, req: HttpRequest | undefined, close: boolean): string | Buffer {
  const body = res.body;
  const length = bytesOf(body, res.ascii);
  let head = `HTTP/1.1 ${res.status} ${reasons[res.status] ?? "Status"}\r\n${dateLine}content-length: ${length}\r\n`;
  if (close) head += "connection: close\r\n";
  else if (req?.http10) head += "connection: keep-alive\r\n";
  const h = res.headers;
  if (typeof h === "string") head += h;
  else for (const name in h) head += `${name}: ${h[name]}\r\n`;
  head += "\r\n";
  if (req?.method === "HEAD" || length === 0) return head;
  if (typeof body === "string") return head + body;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

function errorResponse(status: number, message: string): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: message }),
  };
}

export function serveHttp1(opts: ServeOptions): Http1Server {
  const limits: ParserLimits = { maxHeadBytes: opts.maxHeadBytes, maxBodyBytes: opts.maxBodyBytes };
  const open = new Set<Sock>();
  let draining = false;
  let stopping = false;
  let allClosed: (() => void) | undefined;

  // `total` is the data's length in bytes.
  const write = (sock: Sock, c: Conn, data: string | Buffer, total: number): void => {
    if (c.backlog) {
      c.backlog = Buffer.concat([c.backlog, typeof data === "string" ? Buffer.from(data) : data]);
      return;
    }
    const n = sock.write(data);
    if (n < total) {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      c.backlog = Buffer.from(bytes.subarray(Math.max(0, n)));
    }
  };

  const finish = (sock: Sock, c: Conn): void => {
    if (c.closing && !c.backlog && !c.busy && c.discard <= 0) sock.end();
  };

  const answerFailure = (err: unknown, req: HttpRequest): HttpResponse => {
    opts.onError?.(err, req);
    return errorResponse(500, "internal error");
  };

  // Parses and answers as many buffered requests as it can; synchronous answers go out in one write.
  const pump = (sock: Sock, c: Conn): void => {
    let out = "";
    let outBytes = 0;
    while (!c.busy && !c.backlog && !c.closing) {
      const ev = c.parser.next();
      if (!ev) break;
      if (ev.type === "continue") {
        out += CONTINUE;
        outBytes += CONTINUE.length;
        continue;
      }
      if (ev.type === "error") {
        const text = render(errorResponse(ev.status, ev.message), undefined, true);
        out += text;
        outBytes += bytesOf(text, false);
        c.closing = true;
        if (ev.discard !== 0) {
          c.discard = ev.discard > 0 ? ev.discard : Number.POSITIVE_INFINITY;
          c.linger = setTimeout(() => {
            c.discard = 0;
            finish(sock, c);
          }, LINGER_MS);
        }
        break;
      }
      const req = ev.request;
      let res: HttpResponse | Promise<HttpResponse>;
      try {
        res = opts.handle(req);
      } catch (err) {
        res = answerFailure(err, req);
      }
      if (res instanceof Promise) {
        if (out) write(sock, c, out, outBytes);
        c.busy = true;
        // One reaction for both outcomes: every promise hop is a turn of the microtask queue per request.
        const settle = (r: HttpResponse) => {
          c.busy = false;
          if (c.closed) return;
          respond(sock, c, req, r);
          finish(sock, c);
          pump(sock, c);
        };
        res.then(settle, (err) => settle(answerFailure(err, req)));
        return;
      }
      const close = draining || stopping || !req.keepAlive;
      const text = render(res, req, close);
      if (typeof text === "string") {
        out += text;
        outBytes += bytesOf(text, res.ascii);
      } else {
        if (out) write(sock, c, out, outBytes);
        out = "";
        outBytes = 0;
        write(sock, c, text, text.byteLength);
      }
      if (close) c.closing = true;
    }
    if (out) write(sock, c, out, outBytes);
    finish(sock, c);
  };

  const respond = (sock: Sock, c: Conn, req: HttpRequest, res: HttpResponse): void => {
    const close = draining || stopping || !req.keepAlive;
    const text = render(res, req, close);
    write(sock, c, text, bytesOf(text, res.ascii));
    if (close) c.closing = true;
  };

  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: opts.hostname,
    port: opts.port,
    // Not in bun-types' listen options, but honoured (SO_REUSEPORT); tested with two listeners.
    ...({ reusePort: opts.reusePort } as object),
    socket: {
      open(sock) {
        sock.data = {
          parser: new RequestParser(limits),
          busy: false,
          backlog: undefined,
          closing: false,
          discard: 0,
          linger: undefined,
          closed: false,
        };
        sock.timeout(opts.idleTimeoutSeconds);
        open.add(sock);
      },
      data(sock, chunk) {
        const c = sock.data;
        if (c.discard > 0) {
          c.discard -= chunk.byteLength;
          if (c.discard <= 0) finish(sock, c);
          return;
        }
        if (c.closing) return;
        c.parser.push(chunk);
        // A client that pipelines without reading its answers is cut off once it has a lot queued.
        if (c.parser.buffered > 2 * (limits.maxHeadBytes + limits.maxBodyBytes)) {
          sock.terminate();
          return;
        }
        pump(sock, c);
      },
      drain(sock) {
        const c = sock.data;
        const pending = c.backlog;
        if (!pending) return;
        c.backlog = undefined;
        write(sock, c, pending, pending.byteLength);
        if (c.backlog) return;
        finish(sock, c);
        pump(sock, c);
      },
      timeout(sock) {
        const c = sock.data;
        // An answer still being computed keeps its connection; anything else idle that long goes.
        if (!c.busy) sock.end();
      },
      close(sock) {
        const c = sock.data;
        c.closed = true;
        if (c.linger) clearTimeout(c.linger);
        open.delete(sock);
        if (open.size === 0) allClosed?.();
      },
      error() {
        // A reset by the peer; the close handler tidies up.
      },
    },
  });

  // Taken once listening (a port in use throws above), given back by stop().
  const releaseDate = dateClock();
  let listening = true;
  const stopListening = () => {
    if (!listening) return;
    listening = false;
    listener.stop(false);
  };

  return {
    port: listener.port,
    get connections() {
      return open.size;
    },
    drain() {
      draining = true;
      // Listening on while telling clients to reconnect would send about half of them back here, and one
      // still queued when the listener closes is reset by the kernel: stop listening first.
      stopListening();
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      stopListening();
      // Idle keep-alive connections go now; a connection mid-request ends after its answer.
      for (const sock of open) {
        const c = sock.data;
        if (c.parser.idle && !c.busy) {
          c.closing = true;
          finish(sock, c);
        }
      }
      if (open.size > 0) {
        const closed = new Promise<void>((resolve) => {
          allClosed = resolve;
        });
        const timer = setTimeout(() => {
          for (const sock of open) sock.terminate();
        }, graceMs);
        await closed;
        clearTimeout(timer);
      }
      listener.stop(true);
      releaseDate();
    },
  };
}
