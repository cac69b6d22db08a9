import zlib from "node:zlib";
import { failure, success } from "../../api/envelope";
import { prometheusDuration, prometheusOrSeconds, readDuration } from "../../lib/duration";
import { AppError } from "../../lib/errors";
import { toPromJson } from "../prom-format";
import { inlineQueries, type QueryOutput, type QueryTask } from "../query-exec";
import { defaultQueryLimits } from "../query-limits";
import { readParams } from "../read-params";
import type { Labels, Matcher, QueryResult } from "../types";
import { LogQLError, type Query } from "./logql-ast";
import type { StreamsResult } from "./logql-eval";
import { parseLogQL } from "./logql-parse";
import { decodeLokiPush, encodeLokiPush, msToNs } from "./loki-push";
import type { LogStore } from "./store";
import { indexStats, streamsWithEntries } from "./stream-range";

export { decodeLokiPush, encodeLokiPush };

// Loki answers in Prometheus's envelope, as the rest of the API does: one envelope, one status mapping.
const ok = (data: unknown) => success(data);
const bad = (error: string) => failure(new AppError("invalid", error));
class BadRequest extends AppError {
  constructor(message: string) {
    super("invalid", message);
  }
}

/** Runs a LogQL task under the limits, off the main thread; `signal` is the client's request. */
export type RunLogQuery = (task: QueryTask, signal?: AbortSignal) => Promise<QueryOutput>;

/** Loki's defaults for what one push may carry. */
export const pushLimits = {
  /** Bytes of a push body as sent (compressed or not). */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Bytes of a gzip body once inflated. */
  maxInflatedBytes: 32 * 1024 * 1024,
  /** Bytes of one log line (Loki's max_line_size: 256 KiB). */
  maxLineBytes: 256 * 1024,
};

/**
 * Loki's time parameters: RFC 3339, float seconds, integer seconds (up to 10 digits) or integer
 * nanoseconds. Returns ms.
 */
export function parseLokiTime(value: string | null, fallbackMs: number, name: string): number {
  if (value === null || value === "") return fallbackMs;
  if (/^\d+\.\d*$/.test(value)) return Math.round(Number(value) * 1000);
  if (/^\d+$/.test(value))
    return value.length <= 10 ? Number(value) * 1000 : Number(BigInt(value) / 1_000_000n);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new BadRequest(`invalid parameter "${name}": cannot parse "${value}" as a timestamp`);
  return ms;
}

function parseStep(value: string | null, startMs: number, endMs: number): number {
  // Loki's default keeps a range query near 250 points, never below one second.
  if (value === null || value === "") return Math.max(1, Math.floor((endMs - startMs) / 250_000)) * 1000;
  // Loki's parseSecondsOrDuration: a number of seconds or a Prometheus duration.
  const ms = readDuration(value, prometheusOrSeconds);
  if (ms === null || ms <= 0)
    throw new BadRequest(`invalid parameter "step": cannot parse "${value}" as a duration`);
  return Math.round(ms);
}

function parseLimit(value: string | null): number {
  if (value === null || value === "") return 100;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`invalid parameter "limit": "${value}"`);
  return n;
}

function parseDirection(value: string | null): "forward" | "backward" {
  if (value === null || value === "" || value.toLowerCase() === "backward") return "backward";
  if (value.toLowerCase() === "forward") return "forward";
  throw new BadRequest(`invalid parameter "direction": "${value}" (want forward or backward)`);
}

/**
 * `start`/`end`/`since` as Loki reads them: `end` defaults to now, `start` to `since` (or `defaultSinceMs`) before
 * `end`. Null when the request names none of them and `defaultSinceMs` is null: the label endpoints then read
 * every stream, as they did before they took a time range.
 */
function timeRange(
  p: URLSearchParams,
  nowMs: number,
  defaultSinceMs: number | null,
): { start: number; end: number } | null {
  const given = ["start", "end", "since"].some((k) => (p.get(k) ?? "") !== "");
  if (!given && defaultSinceMs === null) return null;
  const end = parseLokiTime(p.get("end"), nowMs, "end");
  const since = p.get("since");
  let sinceMs = defaultSinceMs ?? 6 * 3_600_000;
  if (since) {
    const ms = readDuration(since, prometheusDuration);
    if (ms === null || ms <= 0)
      throw new BadRequest(`invalid parameter "since": cannot parse "${since}" as a duration`);
    sinceMs = ms;
  }
  const start = parseLokiTime(p.get("start"), end - sinceMs, "start");
  if (end < start) throw new BadRequest("end timestamp must not be before start time");
  return { start, end };
}

/** A stream selector parameter (`match[]`, `query`): a log query whose selector's matchers are used. */
function selectorMatchers(text: string, name: string): Matcher[] {
  const parsed = parseLogQL(text);
  if (parsed.kind !== "log") throw new BadRequest(`invalid parameter "${name}": want a stream selector`);
  return parsed.selector.matchers;
}

function requireQuery(p: URLSearchParams): Query {
  const q = p.get("query");
  if (!q) throw new BadRequest('invalid parameter "query": missing');
  return parseLogQL(q);
}

async function guarded(fn: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LogQLError) return bad(err.message);
    // Limits, timeouts and storage faults carry their own type and status.
    return failure(err);
  }
}

function streamsJson(r: StreamsResult) {
  return {
    resultType: "streams",
    result: r.result.map((s) => ({ stream: s.labels, values: s.entries.map((e) => [msToNs(e.t), e.line]) })),
    stats: {},
  };
}

/** How far back an instant log query looks; Loki itself has no window for it. */
export const INSTANT_LOG_LOOKBACK_MS = 3_600_000;

/**
 * `GET /loki/api/v1/query`: a metric query at one instant; a log query returns the newest (or
 * oldest, with `direction=forward`) `limit` entries of the hour up to `time`.
 */
export function handleLokiQuery(req: Request, run: RunLogQuery, nowMs: number): Promise<Response> {
  return guarded(async () => {
    const p = await readParams(req);
    const query = p.get("query") ?? "";
    const q = requireQuery(p);
    const t = parseLokiTime(p.get("time"), nowMs, "time");
    if (q.kind === "log") {
      const task = {
        kind: "logql_lines" as const,
        query,
        start: t - INSTANT_LOG_LOOKBACK_MS,
        end: t,
        limit: parseLimit(p.get("limit")),
        direction: parseDirection(p.get("direction")),
      };
      return ok(streamsJson((await run(task, req.signal)) as StreamsResult));
    }
    const out = await run({ kind: "logql_instant", query, time: t }, req.signal);
    return ok({ ...toPromJson(out as QueryResult), stats: {} });
  });
}

/** `GET /loki/api/v1/query_range`: streams for a log query, a matrix for a metric query. */
export function handleLokiQueryRange(req: Request, run: RunLogQuery, nowMs: number): Promise<Response> {
  return guarded(async () => {
    const p = await readParams(req);
    const query = p.get("query") ?? "";
    const q = requireQuery(p);
    const end = parseLokiTime(p.get("end"), nowMs, "end");
    const start = parseLokiTime(p.get("start"), end - 3_600_000, "start");
    if (end < start) throw new BadRequest("end timestamp must not be before or equal to start time");
    if (q.kind === "log") {
      const task = {
        kind: "logql_lines" as const,
        query,
        start,
        end,
        limit: parseLimit(p.get("limit")),
        direction: parseDirection(p.get("direction")),
      };
      return ok(streamsJson((await run(task, req.signal)) as StreamsResult));
    }
    const step = parseStep(p.get("step"), start, end);
    const out = await run({ kind: "logql_range", query, start, end, step }, req.signal);
    return ok({ ...toPromJson(out as QueryResult), stats: {} });
  });
}

/**
 * Label sets of the streams a label endpoint reads: narrowed by an optional `query` selector and, when the request
 * gives a time range, to streams with entries in it. Null when it gives neither: every stream.
 */
function selectedLabels(store: LogStore, p: URLSearchParams, nowMs: number): Labels[] | null {
  const q = p.get("query");
  const range = timeRange(p, nowMs, null);
  if (!q && !range) return null;
  const matchers = q ? selectorMatchers(q, "query") : [];
  if (!range) return store.selectStreams(matchers).map((s) => s.labels);
  return streamsWithEntries(store, [matchers], range.start, range.end);
}

/** `GET /loki/api/v1/labels`. */
export function handleLokiLabels(req: Request, store: LogStore, nowMs: number): Promise<Response> {
  return guarded(async () => {
    const sel = selectedLabels(store, await readParams(req), nowMs);
    if (!sel) return ok(store.labelNames());
    return ok([...new Set(sel.flatMap((l) => Object.keys(l)))].sort());
  });
}

/** `GET /loki/api/v1/label/:name/values`. */
export function handleLokiLabelValues(
  req: Request,
  store: LogStore,
  name: string,
  nowMs: number,
): Promise<Response> {
  return guarded(async () => {
    const sel = selectedLabels(store, await readParams(req), nowMs);
    if (!sel) return ok(store.labelValues(name));
    return ok([...new Set(sel.flatMap((l) => (l[name] === undefined ? [] : [l[name]])))].sort());
  });
}

/** `GET|POST /loki/api/v1/series`: streams matching any `match[]` with entries in the range (default: 1 h). */
export function handleLokiSeries(req: Request, store: LogStore, nowMs: number): Promise<Response> {
  return guarded(async () => {
    const p = await readParams(req);
    const sels = p.getAll("match[]");
    if (sels.length === 0) throw new BadRequest('invalid parameter "match[]": at least one is required');
    const sets = sels.map((s) => selectorMatchers(s, "match[]"));
    const range = timeRange(p, nowMs, 3_600_000) as { start: number; end: number };
    return ok(streamsWithEntries(store, sets, range.start, range.end));
  });
}

/**
 * `GET|POST /loki/api/v1/index/stats`: streams, chunks, entries and bytes of a selector over the range (default:
 * 1 h), answered bare like Loki's (no status envelope). See `indexStats` for how they are counted.
 */
export function handleLokiIndexStats(req: Request, run: RunLogQuery, nowMs: number): Promise<Response> {
  return guarded(async () => {
    const p = await readParams(req);
    const q = p.get("query");
    if (!q) throw new BadRequest('invalid parameter "query": missing');
    const matchers = selectorMatchers(q, "query");
    const range = timeRange(p, nowMs, 3_600_000) as { start: number; end: number };
    return Response.json(await indexStats(run, matchers, range.start, range.end, req.signal));
  });
}

/** Applied to each pushed line before it is stored (the redactor, in the app). */
export type LineFilter = (line: string) => string;

/** `POST /loki/api/v1/push` with Loki's JSON body (gzip allowed); protobuf is refused. */
export function handleLokiPush(req: Request, store: LogStore, filter?: LineFilter): Promise<Response> {
  return guarded(async () => {
    const type = req.headers.get("content-type") ?? "application/json";
    if (!type.includes("json"))
      return failure(
        new AppError("unsupported_media", `unsupported content type "${type}": only JSON push is supported`),
      );
    const raw = await readCapped(req, pushLimits.maxBodyBytes);
    const body = isGzip(req, raw) ? inflateCapped(raw, pushLimits.maxInflatedBytes) : raw;
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new BadRequest("invalid push body: not JSON");
    }
    try {
      const entries = decodeLokiPush(json);
      const long = entries.find((e) => Buffer.byteLength(e.line) > pushLimits.maxLineBytes);
      if (long)
        throw new BadRequest(
          `a log line of ${Buffer.byteLength(long.line)} bytes is longer than the limit of ${pushLimits.maxLineBytes} bytes (max_line_size)`,
        );
      store.append(filter ? entries.map((e) => ({ ...e, line: filter(e.line) })) : entries);
    } catch (err) {
      throw new BadRequest((err as Error).message);
    }
    return new Response(null, { status: 204 });
  });
}

/** Routes any of the above by path; null when the path is not a Loki API path. */
export function handleLokiRequest(
  req: Request,
  store: LogStore,
  nowMs: number,
  filter: LineFilter | undefined,
  run: RunLogQuery,
): Promise<Response> | null {
  const path = new URL(req.url).pathname;
  if (path === "/loki/api/v1/push" && req.method === "POST") return handleLokiPush(req, store, filter);
  if (path === "/loki/api/v1/query") return handleLokiQuery(req, run, nowMs);
  if (path === "/loki/api/v1/query_range") return handleLokiQueryRange(req, run, nowMs);
  if (path === "/loki/api/v1/labels" || path === "/loki/api/v1/label")
    return handleLokiLabels(req, store, nowMs);
  if (path === "/loki/api/v1/series") return handleLokiSeries(req, store, nowMs);
  if (path === "/loki/api/v1/index/stats") return handleLokiIndexStats(req, run, nowMs);
  const m = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(path);
  if (m) {
    let name: string;
    try {
      name = decodeURIComponent(m[1] as string);
    } catch {
      return Promise.resolve(bad(`invalid label name in the path: ${m[1]}`));
    }
    return handleLokiLabelValues(req, store, name, nowMs);
  }
  return null;
}

/** Reads a body up to `max` bytes; a longer one (declared or sent) is refused with 413 before it is all read. */
async function readCapped(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max)
    throw new AppError("too_large", `push body of ${declared} bytes is over the limit of ${max} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body)
    for await (const chunk of req.body) {
      size += chunk.length;
      if (size > max) throw new AppError("too_large", `push body is over the limit of ${max} bytes`);
      chunks.push(chunk);
    }
  return Buffer.concat(chunks);
}

/** Gzip by header or by its magic bytes (Bun may already have inflated a body it was told about). */
function isGzip(req: Request, raw: Uint8Array): boolean {
  return req.headers.get("content-encoding") === "gzip" && raw[0] === 0x1f && raw[1] === 0x8b;
}

/** Inflates up to `max` bytes: zlib stops there, so a small bomb never allocates its whole output. */
function inflateCapped(raw: Uint8Array, max: number): Uint8Array {
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE")
      throw new AppError("too_large", `push body inflates past the limit of ${max} bytes`);
    throw new BadRequest(`push body is not valid gzip: ${(err as Error).message}`);
  }
}

/**
 * Queries over `store` on the calling thread, under the default limits: for a Loki-speaking test server or a
 * one-off tool. The harness's own server hands them to query workers instead.
 */
export function inlineLogQueries(store: LogStore): RunLogQuery {
  return inlineQueries(
    {
      metrics: () => {
        throw new AppError("invalid", "this Loki API has no metrics");
      },
      logs: () => store,
    },
    defaultQueryLimits,
  );
}
