import { type HttpRequest, headerOf } from "./http1/parse";
import type { HttpResponse } from "./http1/serve";
import { BadRequest } from "./requests";
import type { ServerDeps } from "./server";

/** Header lines as the listener writes them, back into name → value (for the in-process `fetch`). */
function headerRecord(h: Record<string, string> | string): Record<string, string> {
  if (typeof h !== "string") return h;
  const out: Record<string, string> = {};
  for (const line of h.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

/**
 * How every route answers, shared by the check path and the other routes: JSON bodies carrying
 * X-Instance, an error as the client sees it, the request's id for the log, and the request histogram.
 */
export function createReplies(deps: Pick<ServerDeps, "metrics" | "log" | "instance">) {
  const { metrics, log } = deps;
  let requestSeq = 0;
  // A header value must not carry a line break (it would start a header of its own), and stays ASCII so
  // the hot route's answer needs no byte count.
  const instance = deps.instance?.replace(/[^\x20-\x7e]/g, "_");
  // X-Instance goes in with every response's headers: setting it afterwards would rebuild them on the hot path.
  const served: Record<string, string> = instance ? { "x-instance": instance } : {};
  const answerJson = (body: unknown, status = 200): HttpResponse => ({
    status,
    headers: { "content-type": "application/json", ...served },
    body: JSON.stringify(body),
  });
  const toResponse = (a: HttpResponse) =>
    new Response(a.body as BodyInit, { status: a.status, headers: headerRecord(a.headers) });
  // Label lookups dominate prom-client's cost on the hot path; keep one child per (route, code).
  const httpChildren = new Map<string, { observe(v: number): void }>();
  // X-Request-Id is read only when a line is logged: touching a Request's headers builds the whole header
  // object, which costs about as much as the bucket decision.
  const requestIdOf = (req: Request | HttpRequest) =>
    (req instanceof Request ? req.headers.get("x-request-id") : headerOf(req, "x-request-id")) ??
    `r${++requestSeq}`;

  return {
    /** Headers every answer carries. */
    served,
    /** The X-Instance header line, for answers whose header lines are written out in one piece. */
    instanceLine: instance ? `x-instance: ${instance}\r\n` : "",
    answerJson,
    toResponse,
    json: (body: unknown, status = 200) => toResponse(answerJson(body, status)),
    requestIdOf,
    observeHttp(route: string, code: number, seconds: number): void {
      const key = `${route} ${code}`;
      let child = httpChildren.get(key);
      if (!child) {
        child = metrics.httpSeconds.labels({ route, code: String(code) });
        httpChildren.set(key, child);
      }
      child.observe(seconds);
    },
    /** An error as the client sees it: a 4xx with its message, or a logged 500. */
    failed(err: unknown, req: Request | HttpRequest, routeName: string, started: number): HttpResponse {
      if (err instanceof BadRequest) return answerJson({ error: err.message }, err.status);
      log("error", "request failed", {
        request_id: requestIdOf(req),
        route: routeName,
        error: (err as Error).message,
        latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
      return answerJson({ error: "internal error" }, 500);
    },
  };
}

export type Replies = ReturnType<typeof createReplies>;
