import { Elysia } from "elysia";
import { failure, success } from "../api/envelope";
import { AppError } from "../lib/errors";
import type { MetricStore } from "./metrics/store";
import { parseApiStep, parseApiTime, toPromJson } from "./prom-format";
import { activeAlerts, type RuleGroupSource } from "./prom-rules";
import { buildInfo } from "./prom-status";
import { parse as parsePromQL } from "./promql/promql-parse";
import type { QueryOutput, QueryTask } from "./query-exec";
import { pathLabelName, readParams } from "./read-params";
import { parseSeriesSelector } from "./series-selector";
import type { Matcher, QueryResult } from "./types";

const ok = (data: unknown) => success(data);

/** Runs a query under the limits, off the main thread (query-pool.ts); `signal` is the client's request. */
export type RunQuery = (task: QueryTask, signal?: AbortSignal) => Promise<QueryOutput>;

export interface PromApiDeps {
  store: MetricStore;
  now: () => number;
  runQuery: RunQuery;
  /** Harness's alerting rules with their state, for /api/v1/rules and /alerts; without it both list none. */
  rules?: RuleGroupSource | undefined;
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

/** Optional `start`/`end` (absent: the whole store, as Prometheus's /series and /labels default to). */
function optionalRange(p: URLSearchParams) {
  return param(() => {
    const start = parseApiTime(p.get("start"), Number.NaN, "start");
    const end = parseApiTime(p.get("end"), Number.NaN, "end");
    return { start: Number.isNaN(start) ? undefined : start, end: Number.isNaN(end) ? undefined : end };
  });
}

const matcherSets = (p: URLSearchParams): Matcher[][] => p.getAll("match[]").map(parseSeriesSelector);

/** Label names or values over the union of the `match[]` selectors (none: every series). */
function unionOver(sets: Matcher[][], one: (matchers: Matcher[] | undefined) => string[]): string[] {
  if (sets.length <= 1) return one(sets[0]);
  return [...new Set(sets.flatMap((s) => one(s)))].sort();
}

// Prometheus 2.x label names; a name outside it can name no stored series.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** An optional integer parameter, checked though unused (Prometheus refuses `limit=ten` too). */
function checkIntParam(p: URLSearchParams, name: string): void {
  const v = p.get(name);
  if (v !== null && v !== "" && !/^-?\d{1,15}$/.test(v))
    throw new AppError("invalid", `invalid parameter "${name}": "${v}" is not a number`);
}

/**
 * The Prometheus HTTP API shapes, so promtool and Grafana's Prometheus data source use the harness unchanged.
 * Every read takes GET or POST with a form body alike (readParams), as Prometheus does.
 */
export function promApiRoutes(deps: PromApiDeps): ReturnType<typeof routes>;
/** The earlier positional form, kept for callers not yet moved to `PromApiDeps` (bench-vs-prometheus.ts). */
export function promApiRoutes(
  store: MetricStore,
  now: () => number,
  runQuery: RunQuery,
): ReturnType<typeof routes>;
export function promApiRoutes(first: PromApiDeps | MetricStore, now?: () => number, runQuery?: RunQuery) {
  return routes(
    "store" in first ? first : { store: first, now: now as () => number, runQuery: runQuery as RunQuery },
  );
}

function routes(deps: PromApiDeps) {
  const { store, now, runQuery } = deps;
  const rules = deps.rules ?? (async () => []);
  const answer = (request: Request, fn: (p: URLSearchParams) => unknown | Promise<unknown>) =>
    (async () => {
      try {
        return ok(await fn(await readParams(request)));
      } catch (err) {
        // Parameter errors are AppErrors already (param, readParams, the selector parser); anything else, a
        // storage fault included, is ours: 5xx, never the caller's bad_data.
        return failure(err);
      }
    })();
  // Parameters come from the URL and the form body, read by readParams: Elysia must leave the body alone.
  const raw = { parse: "none" as const };
  type Ctx = { request: Request };

  const instant = ({ request }: Ctx) =>
    answer(request, async (p) => {
      const query = p.get("query");
      if (!query) throw new AppError("invalid", 'invalid parameter "query": missing');
      const time = param(() => parseApiTime(p.get("time"), now(), "time"));
      const out = await runQuery({ kind: "promql_instant", expr: query, time }, request.signal);
      return toPromJson(out as QueryResult);
    });
  const range = ({ request }: Ctx) =>
    answer(request, async (p) => {
      const query = p.get("query");
      if (!query) throw new AppError("invalid", 'invalid parameter "query": missing');
      const { start, end, step } = param(() => {
        const start = parseApiTime(p.get("start"), Number.NaN, "start");
        const end = parseApiTime(p.get("end"), Number.NaN, "end");
        if (Number.isNaN(start) || Number.isNaN(end))
          throw new Error('invalid parameter "start"/"end": missing');
        return { start, end, step: parseApiStep(p.get("step")) };
      });
      const out = await runQuery({ kind: "promql_range", expr: query, start, end, step }, request.signal);
      return toPromJson(out as QueryResult);
    });
  const series = ({ request }: Ctx) =>
    answer(request, (p) => {
      const sets = matcherSets(p);
      if (sets.length === 0) throw new AppError("invalid", "no match[] parameter provided");
      const { start, end } = optionalRange(p);
      // Labels only: no samples are loaded to answer which series have some in the range.
      return store.seriesMatching(sets, start, end);
    });
  const labels = ({ request }: Ctx) =>
    answer(request, (p) => {
      const sets = matcherSets(p);
      const { start, end } = optionalRange(p);
      return unionOver(sets, (ms) => store.labelNames(ms, start, end));
    });
  const labelValues = ({ request }: Ctx) =>
    answer(request, (p) => {
      const name = pathLabelName(request, /^\/api\/v1\/label\/([^/]*)\/values$/);
      if (!LABEL_NAME.test(name)) throw new AppError("invalid", `invalid label name: "${name}"`);
      const sets = matcherSets(p);
      const { start, end } = optionalRange(p);
      return unionOver(sets, (ms) => store.labelValues(name, ms, start, end));
    });
  const exemplars = ({ request }: Ctx) =>
    answer(request, (p) => {
      const query = p.get("query");
      if (!query) throw new AppError("invalid", 'invalid parameter "query": missing');
      param(() => parsePromQL(query));
      optionalRange(p);
      // The embedded store keeps no exemplars: a valid query has none.
      return [];
    });

  return new Elysia()
    .get("/api/v1/query", instant, raw)
    .post("/api/v1/query", instant, raw)
    .get("/api/v1/query_range", range, raw)
    .post("/api/v1/query_range", range, raw)
    .get("/api/v1/series", series, raw)
    .post("/api/v1/series", series, raw)
    .get("/api/v1/labels", labels, raw)
    .post("/api/v1/labels", labels, raw)
    .get("/api/v1/label/:name/values", labelValues, raw)
    .post("/api/v1/label/:name/values", labelValues, raw)
    .get("/api/v1/query_exemplars", exemplars, raw)
    .post("/api/v1/query_exemplars", exemplars, raw)
    .get("/api/v1/status/buildinfo", () => ok(buildInfo()))
    .get("/api/v1/metadata", ({ request }) =>
      answer(request, (p) => {
        checkIntParam(p, "limit");
        checkIntParam(p, "limit_per_metric");
        // The scraper parses HELP and TYPE but the store keeps neither, and a type guessed from a name's
        // suffix would be a guess: no metric has metadata here, which clients treat as "unknown".
        return {};
      }),
    )
    .get("/api/v1/rules", ({ request }) =>
      answer(request, async (p) => {
        const type = (p.get("type") ?? "").toLowerCase();
        if (type !== "" && type !== "alert" && type !== "record")
          throw new AppError("invalid", `invalid parameter "type": not supported value "${type}"`);
        const groups = await rules();
        // Harness has only alerting rules: asked for recording rules, every group is empty.
        return { groups: type === "record" ? groups.map((g) => ({ ...g, rules: [] })) : groups };
      }),
    )
    .get("/api/v1/alerts", ({ request }) =>
      answer(request, async () => ({ alerts: activeAlerts(await rules()) })),
    );
}
