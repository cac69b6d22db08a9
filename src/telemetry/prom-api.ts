import { Elysia } from "elysia";
import { failure } from "../api/envelope";
import { AppError } from "../lib/errors";
import type { MetricStore } from "./metrics/store";
import { parseApiStep, parseApiTime, toPromJson } from "./prom-format";
import type { QueryOutput, QueryTask } from "./query-exec";
import type { Matcher, QueryResult } from "./types";

const ok = (data: unknown) => Response.json({ status: "success", data });

/** Runs a query under the limits, off the main thread (query-pool.ts); `signal` is the client's request. */
export type RunQuery = (task: QueryTask, signal?: AbortSignal) => Promise<QueryOutput>;

function params(query: Record<string, unknown>, body: unknown): Record<string, string | undefined> {
  const b = body && typeof body === "object" ? (body as Record<string, string>) : {};
  return { ...(query as Record<string, string>), ...b };
}

/** Parameter errors are the caller's: bad_data, 400. */
function param<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("invalid", (err as Error).message);
  }
}

/** Series selectors for /series and /labels: only plain `{a="b"}`/`name{...}` forms. */
function selectorMatchers(sel: string): Matcher[] {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/.exec(sel);
  if (!m) throw new Error(`invalid series selector "${sel}"`);
  const out: Matcher[] = m[1] ? [{ name: "__name__", op: "=", value: m[1] }] : [];
  for (const part of (m[2] ?? "").matchAll(
    /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g,
  )) {
    out.push({ name: part[1] as string, op: part[2] as Matcher["op"], value: JSON.parse(`"${part[3]}"`) });
  }
  return out;
}

/** The Prometheus HTTP API shapes, so Grafana can use the harness as a Prometheus data source. */
export function promApiRoutes(store: MetricStore, now: () => number, runQuery: RunQuery) {
  const answer = async (fn: () => Promise<unknown>) => {
    try {
      return ok(await fn());
    } catch (err) {
      return failure(err instanceof AppError ? err : new AppError("invalid", (err as Error).message));
    }
  };
  const handleQuery = ({
    query,
    body,
    request,
  }: {
    query: Record<string, unknown>;
    body: unknown;
    request: Request;
  }) =>
    answer(async () => {
      const p = params(query, body);
      if (!p.query) throw new AppError("invalid", 'invalid parameter "query": missing');
      const time = param(() => parseApiTime(p.time, now(), "time"));
      const out = await runQuery({ kind: "promql_instant", expr: p.query, time }, request.signal);
      return toPromJson(out as QueryResult);
    });
  const handleRange = ({
    query,
    body,
    request,
  }: {
    query: Record<string, unknown>;
    body: unknown;
    request: Request;
  }) =>
    answer(async () => {
      const p = params(query, body);
      if (!p.query) throw new AppError("invalid", 'invalid parameter "query": missing');
      const { start, end, step } = param(() => {
        const start = parseApiTime(p.start, Number.NaN, "start");
        const end = parseApiTime(p.end, Number.NaN, "end");
        if (Number.isNaN(start) || Number.isNaN(end))
          throw new Error('invalid parameter "start"/"end": missing');
        return { start, end, step: parseApiStep(p.step) };
      });
      const out = await runQuery({ kind: "promql_range", expr: p.query, start, end, step }, request.signal);
      return toPromJson(out as QueryResult);
    });
  return new Elysia()
    .get("/api/v1/query", handleQuery)
    .post("/api/v1/query", handleQuery)
    .get("/api/v1/query_range", handleRange)
    .post("/api/v1/query_range", handleRange)
    .get("/api/v1/series", ({ request }) =>
      answer(async () => {
        const url = new URL(request.url);
        const sels = url.searchParams.getAll("match[]");
        if (sels.length === 0) throw new AppError("invalid", "no match[] parameter provided");
        const { start, end, matchers } = param(() => ({
          start: parseApiTime(url.searchParams.get("start"), now() - 3_600_000, "start"),
          end: parseApiTime(url.searchParams.get("end"), now(), "end"),
          matchers: sels.map(selectorMatchers),
        }));
        // Labels only: no samples are loaded to answer which series have some in the range.
        return store.seriesMatching(matchers, start, end);
      }),
    )
    .get("/api/v1/labels", () => ok(store.labelNames()))
    .get("/api/v1/label/:name/values", ({ params: p }) => ok(store.labelValues(p.name)));
}
