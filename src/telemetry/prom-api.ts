import { Elysia } from "elysia";
import type { MetricStore } from "./metrics/store";
import { parseApiStep, parseApiTime, toPromJson } from "./prom-format";
import { instantQuery, PromQLError, rangeQuery } from "./promql/promql";
import type { Matcher } from "./types";

const ok = (data: unknown) => Response.json({ status: "success", data });
const bad = (error: string, status = 400, errorType = "bad_data") =>
  Response.json({ status: "error", errorType, error }, { status });

function params(query: Record<string, unknown>, body: unknown): Record<string, string | undefined> {
  const b = body && typeof body === "object" ? (body as Record<string, string>) : {};
  return { ...(query as Record<string, string>), ...b };
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
export function promApiRoutes(store: MetricStore, now: () => number) {
  const run = (fn: () => unknown) => {
    try {
      return ok(fn());
    } catch (err) {
      if (err instanceof PromQLError) return bad(err.message, 422, "execution");
      return bad((err as Error).message);
    }
  };
  const handleQuery = ({ query, body }: { query: Record<string, unknown>; body: unknown }) => {
    const p = params(query, body);
    if (!p.query) return bad('invalid parameter "query": missing');
    return run(() => toPromJson(instantQuery(store, p.query as string, parseApiTime(p.time, now(), "time"))));
  };
  const handleRange = ({ query, body }: { query: Record<string, unknown>; body: unknown }) => {
    const p = params(query, body);
    if (!p.query) return bad('invalid parameter "query": missing');
    return run(() => {
      const start = parseApiTime(p.start, Number.NaN, "start");
      const end = parseApiTime(p.end, Number.NaN, "end");
      if (Number.isNaN(start) || Number.isNaN(end))
        throw new Error('invalid parameter "start"/"end": missing');
      if (end < start)
        throw new Error('invalid parameter "end": end timestamp must not be before start time');
      return toPromJson(rangeQuery(store, p.query as string, start, end, parseApiStep(p.step)));
    });
  };
  return new Elysia()
    .get("/api/v1/query", handleQuery)
    .post("/api/v1/query", handleQuery)
    .get("/api/v1/query_range", handleRange)
    .post("/api/v1/query_range", handleRange)
    .get("/api/v1/series", ({ request }) =>
      run(() => {
        const url = new URL(request.url);
        const sels = url.searchParams.getAll("match[]");
        if (sels.length === 0) throw new Error("no match[] parameter provided");
        const start = parseApiTime(url.searchParams.get("start"), now() - 3_600_000, "start");
        const end = parseApiTime(url.searchParams.get("end"), now(), "end");
        return sels.flatMap((s) => store.select(selectorMatchers(s), start, end).map((x) => x.labels));
      }),
    )
    .get("/api/v1/labels", () => ok(store.labelNames()))
    .get("/api/v1/label/:name/values", ({ params: p }) => ok(store.labelValues(p.name)));
}
