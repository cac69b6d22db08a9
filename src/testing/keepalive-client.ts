import type { Socket } from "bun";

export interface Answer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

interface Conn {
  sock: Socket<undefined> | undefined;
  got: Buffer;
  closed: boolean;
  /** Answers read on this connection so far: 0 means it is fresh. */
  served: number;
  wake: (() => void) | undefined;
}

/**
 * A keep-alive HTTP/1.1 client on one connection at a time, for handover tests, because it can tell the
 * two ways a request is lost apart. On a fresh connection, a refusal or reset is a real failure (say, a
 * connection left in a closing listener's queue). On a reused connection that the server closed while it
 * sat idle, the request never reached the server: that race is in HTTP/1.1 keep-alive itself, and
 * clients answer it by sending the request again on a new connection (RFC 9112 9.3.1); this one does,
 * once, and counts it. `fetch` hides which of the two happened, and pools connections it chooses itself.
 */
export function keepAliveClient(port: number, timeoutMs = 10_000) {
  const stats = { connections: 0, staleRetries: 0 };
  let conn: Conn | undefined;

  const connect = async (): Promise<Conn> => {
    const c: Conn = { sock: undefined, got: Buffer.alloc(0), closed: false, served: 0, wake: undefined };
    const wake = () => c.wake?.();
    c.sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          c.got = Buffer.concat([c.got, d]);
          wake();
        },
        close() {
          c.closed = true;
          wake();
        },
        error() {
          c.closed = true;
          wake();
        },
      },
    });
    stats.connections++;
    return c;
  };

  /** One answer from `c`, or undefined if it closed first (nothing read). */
  const readAnswer = async (c: Conn): Promise<Answer | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = parseAnswer(c);
      if (answer) return answer;
      if (c.closed) {
        if (c.got.length > 0)
          throw new Error(`connection closed mid-answer: ${c.got.toString("latin1", 0, 80)}`);
        return undefined;
      }
      if (Date.now() > deadline) throw new Error("no answer in time");
      await new Promise<void>((resolve) => {
        c.wake = resolve;
        setTimeout(resolve, 50);
      });
      c.wake = undefined;
    }
  };

  const attempt = async (request: string): Promise<{ answer?: Answer; reused: boolean }> => {
    if (!conn || conn.closed) conn = await connect();
    const c = conn;
    const reused = c.served > 0;
    c.sock?.write(request);
    const answer = await readAnswer(c);
    if (!answer) return { reused };
    c.served++;
    if (answer.headers.connection?.toLowerCase() === "close") {
      c.sock?.end();
      conn = undefined;
    }
    return { answer, reused };
  };

  return {
    stats,
    async post(path: string, body: string): Promise<Answer> {
      const request = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const first = await attempt(request);
      if (first.answer) return first.answer;
      if (!first.reused) throw new Error("a fresh connection closed without an answer");
      stats.staleRetries++;
      const again = await attempt(request);
      if (again.answer) return again.answer;
      throw new Error("the retry on a fresh connection closed without an answer");
    },
    close(): void {
      conn?.sock?.end();
      conn = undefined;
    },
  };
}

/** Takes one whole answer (framed by Content-Length) off the front of what `c` has received. */
function parseAnswer(c: Conn): Answer | undefined {
  const end = c.got.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const lines = c.got.toString("latin1", 0, end).split("\r\n");
  const status = Number(lines[0]?.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  if (c.got.length < end + 4 + length) return undefined;
  const body = c.got.toString("utf8", end + 4, end + 4 + length);
  c.got = c.got.subarray(end + 4 + length);
  return { status, headers, body };
}
