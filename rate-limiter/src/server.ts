import { createCheckPath } from "./check";
import { compactCheckBody } from "./compact-body";
import type { Config } from "./config";
import type { HttpRequest } from "./http1/parse";
import type { HttpResponse } from "./http1/serve";
import { createListener, viaFetch } from "./listener";
import type { Log } from "./log";
import type { Metrics } from "./metrics";
import { createReplies } from "./replies";
import { createRoutes, routeLabel } from "./routes";
import type { Store } from "./stores/store";

export interface ServerDeps {
  config: () => Config;
  store: Store;
  metrics: Metrics;
  log: Log;
  ready: () => boolean;
  /**
   * Sent back as `X-Instance` on every response: with several processes sharing a port, a client (a
   * load balancer's health check, a deploy's canary comparison) can tell which one answered.
   */
  instance?: string;
}

/**
 * The HTTP surface, put together: the check path (check.ts), the other routes (routes.ts) and the
 * listener (listener.ts). `fetch` is usable in-process by tests and by Bun.serve alike.
 */
export function createServer(deps: ServerDeps) {
  const replies = createReplies(deps);
  const check = createCheckPath(deps, replies);
  const listener = createListener({
    handle: handleWire,
    onError: (err, req) =>
      deps.log("error", "request failed", {
        request_id: replies.requestIdOf(req),
        route: routeLabel(req.path),
        error: (err as Error).message,
      }),
  });
  const { handle } = createRoutes(deps, replies, check, listener.draining);
  const malformed = (message: string) => replies.answerJson({ error: message }, 400);

  /**
   * What the HTTP/1.1 listener calls. The hot route gets the parsed request as it is; every other route
   * goes through `handle` as a fetch Request, so both front doors answer alike.
   */
  function handleWire(r: HttpRequest): HttpResponse | Promise<HttpResponse> {
    const started = performance.now();
    if (r.path === "/v1/check" && r.method === "POST")
      return check.checkRoute(
        compactCheckBody(r.bodyBuf, r.bodyStart, r.bodyEnd) ?? r.text(),
        r.bodyLength,
        r.query,
        r,
        started,
      );
    return viaFetch(r, handle, malformed);
  }

  return {
    /** Answers one request in-process; what Bun.serve calls, and what tests call directly. */
    fetch: handle,

    /** What the HTTP/1.1 listener calls for each parsed request; the in-process benchmark calls it too. */
    wire: handleWire,

    /** Listens with reusePort, so a new version can share the port during a handover. Returns the port. */
    start: listener.start,

    /** Stops accepting, drains open connections for `drainMs`, then waits for in-flight requests. */
    stop: listener.stop,
  };
}
