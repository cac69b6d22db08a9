import type { HttpRequest } from "./http1/parse";
import { type Handler, type Http1Server, type HttpResponse, serveHttp1 } from "./http1/serve";
import { maxBody } from "./requests";

/**
 * The HTTP/1.1 listener: opened with reusePort, so a new version can share the port during a handover,
 * and closed with a drain. `draining` is what readiness answers while it stops.
 */
export function createListener(opts: { handle: Handler; onError: (err: unknown, req: HttpRequest) => void }) {
  let listener: Http1Server | undefined;
  let draining = false;
  return {
    draining: () => draining,

    /** Listens on the port (0 picks one); returns the port. */
    start(at: { port: number; hostname: string }): number {
      listener = serveHttp1({
        hostname: at.hostname,
        port: at.port,
        reusePort: true,
        idleTimeoutSeconds: 30,
        maxHeadBytes: 16 * 1024,
        // Bodies past this are refused unread; up to it, the handlers answer a body over maxBody with a
        // 413 and a message.
        maxBodyBytes: 16 * maxBody,
        handle: opts.handle,
        onError: opts.onError,
      });
      return listener.port;
    },

    /**
     * Stops accepting at once (a process sharing the port takes every new connection), answers not-ready
     * and closes open connections after their next answer for `drainMs`, then closes idle ones and waits
     * for in-flight requests to finish.
     */
    async stop(drainMs = 0): Promise<void> {
      draining = true;
      // While draining, ask every client to close, so keep-alive clients move to the process that
      // shares the port before this one stops listening.
      listener?.drain();
      if (drainMs > 0) await Bun.sleep(drainMs);
      await listener?.stop();
      listener = undefined;
    },
  };
}

/**
 * A parsed request answered by a fetch handler: every route but the hot one goes this way, so both front
 * doors answer alike. A request that cannot become a fetch Request gets `malformed`'s answer.
 */
export async function viaFetch(
  r: HttpRequest,
  handle: (req: Request) => Promise<Response>,
  malformed: (message: string) => HttpResponse,
): Promise<HttpResponse> {
  let req: Request;
  try {
    const headers = new Headers();
    for (let i = 0; i < r.headers.length; i += 2)
      headers.append(r.headers[i] as string, r.headers[i + 1] as string);
    const body = r.method === "GET" || r.method === "HEAD" ? null : r.bytes();
    req = new Request(`http://localhost${r.target}`, { method: r.method, headers, body });
  } catch (err) {
    return malformed(`malformed request: ${(err as Error).message}`);
  }
  const res = await handle(req);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    // Framing is the listener's business.
    if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection")
      headers[name] = value;
  });
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}
