import { goDuration, readDuration } from "../../lib/duration";
import { currentBudget } from "../query-limits";
import type { Labels, QueryResult, Sample, Series } from "../types";
import { LogQLError, type LogSelector, type MetricExpr, type Query, type Unwrap } from "./logql-ast";
import { binaryOp, type MetricValue } from "./logql-binop";
import { parseLogQL } from "./logql-parse";
import { evalVectorAgg, groupLabels, quantile, sum, variance } from "./logql-vector";
import { compilePipeline, evalLabelFilter, indexableTerms } from "./pipeline";
import { fingerprint, type LogStore } from "./store";
import { parseBytes } from "./units";

export interface LogQueryOptions {
  startMs: number;
  endMs: number;
  limit: number;
  direction: "backward" | "forward";
}

export interface StreamsResult {
  resultType: "streams";
  result: { labels: Labels; entries: { t: number; line: string }[] }[];
}

const asQuery = (q: string | Query): Query => (typeof q === "string" ? parseLogQL(q) : q);

/** Runs the selector and pipeline over [startMs, endMs], calling `each` until it returns false. */
function run(
  store: LogStore,
  sel: LogSelector,
  startMs: number,
  endMs: number,
  direction: "backward" | "forward",
  each: (t: number, line: string, labels: Labels) => boolean,
): void {
  const streams = store.selectStreams(sel.matchers);
  const byId = new Map(streams.map((s) => [s.id, s.labels]));
  const pipeline = compilePipeline(sel.pipeline);
  const entries = store.iterate([...byId.keys()], startMs, endMs, {
    direction,
    containsAll: indexableTerms(sel.pipeline),
  });
  const budget = currentBudget();
  for (const row of entries) {
    budget?.tick();
    const out = pipeline(row.t, row.line, byId.get(row.streamId) ?? {});
    if (out && !each(out.t, out.line, out.labels)) return;
  }
}

/** A log query: entries grouped into streams by their labels after the pipeline. */
export function queryLogs(store: LogStore, q: string | Query, opts: LogQueryOptions): StreamsResult {
  const query = asQuery(q);
  if (query.kind !== "log") throw new LogQLError("a metric query cannot be run as a log query");
  const streams = new Map<string, { labels: Labels; entries: { t: number; line: string }[] }>();
  let n = 0;
  if (opts.limit > 0)
    run(store, query.selector, opts.startMs, opts.endMs, opts.direction, (t, line, labels) => {
      const key = fingerprint(labels);
      let s = streams.get(key);
      if (!s) {
        s = { labels, entries: [] };
        streams.set(key, s);
      }
      s.entries.push({ t, line });
      return ++n < opts.limit;
    });
  return { resultType: "streams", result: [...streams.values()] };
}

function unwrapValue(u: Unwrap, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (u.conv === "bytes") return parseBytes(raw);
  if (u.conv === "duration" || u.conv === "duration_seconds") {
    // Loki converts with Go's time.ParseDuration: `1.5s`, `250ms`, but no `d`.
    const ms = readDuration(raw, goDuration);
    return ms === null ? null : ms / 1000;
  }
  const v = Number(raw);
  return raw.trim() === "" || Number.isNaN(v) ? null : v;
}

const utf8 = new TextEncoder();

type RangeExpr = Extract<MetricExpr, { kind: "range" }>;

function windowValue(e: RangeExpr, vs: number[]): number {
  const secs = e.rangeMs / 1000;
  switch (e.op) {
    case "count_over_time":
      return vs.length;
    case "rate":
      return vs.length / secs;
    case "bytes_over_time":
    case "sum_over_time":
      return sum(vs);
    case "bytes_rate":
      return sum(vs) / secs;
    case "avg_over_time":
      return sum(vs) / vs.length;
    case "max_over_time":
      return Math.max(...vs);
    case "min_over_time":
      return Math.min(...vs);
    case "first_over_time":
      return vs[0] as number;
    case "last_over_time":
      return vs[vs.length - 1] as number;
    case "stddev_over_time":
      return Math.sqrt(variance(vs));
    case "stdvar_over_time":
      return variance(vs);
    case "quantile_over_time":
      return quantile(e.param ?? 0.5, vs);
  }
}

/** First index with samples[i].t > t (samples sorted by t). */
function upper(samples: Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as Sample).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A range aggregation at each evaluation time; windows are (t - offset - range, t - offset]. */
function evalRange(store: LogStore, e: RangeExpr, times: number[]): Series[] {
  const first = (times[0] as number) - e.offsetMs - e.rangeMs;
  const last = (times[times.length - 1] as number) - e.offsetMs;
  const series = new Map<string, Series>();
  run(store, e.selector, first + 1, last, "forward", (t, line, labels) => {
    let v = 1;
    let out = labels;
    if (e.unwrap) {
      const u = e.unwrap;
      const parsed = unwrapValue(u, labels[u.label]);
      if (parsed === null) return true;
      v = parsed;
      const { [u.label]: _, ...rest } = labels;
      if (!u.filters.every((f) => evalLabelFilter(f, rest))) return true;
      out = rest;
    } else if (e.op === "bytes_over_time" || e.op === "bytes_rate") {
      v = utf8.encode(line).length;
    }
    out = groupLabels(out, e.grouping);
    const key = fingerprint(out);
    let s = series.get(key);
    if (!s) {
      s = { labels: out, samples: [] };
      series.set(key, s);
    }
    s.samples.push({ t, v });
    return true;
  });
  const result: Series[] = [];
  for (const s of series.values()) {
    const points: Sample[] = [];
    for (const t of times) {
      const hi = upper(s.samples, t - e.offsetMs);
      const lo = upper(s.samples, t - e.offsetMs - e.rangeMs);
      if (hi > lo)
        points.push({
          t,
          v: windowValue(
            e,
            s.samples.slice(lo, hi).map((x) => x.v),
          ),
        });
    }
    if (points.length > 0) result.push({ labels: s.labels, samples: points });
  }
  return result;
}

function evalMetric(store: LogStore, e: MetricExpr, times: number[]): MetricValue {
  switch (e.kind) {
    case "range":
      return { kind: "vector", series: evalRange(store, e, times) };
    case "literal":
      return { kind: "scalar", v: e.value };
    case "binary":
      return binaryOp(e, evalMetric(store, e.left, times), evalMetric(store, e.right, times));
    case "vector": {
      const inner = evalMetric(store, e.inner, times);
      if (inner.kind === "scalar") throw new LogQLError(`${e.op} needs a vector, not a number`);
      return { kind: "vector", series: evalVectorAgg(e, inner.series, times) };
    }
  }
}

function metricOf(q: string | Query): MetricExpr {
  const query = asQuery(q);
  if (query.kind !== "metric") throw new LogQLError("a log query has no instant or range vector value");
  return query.expr;
}

/** A metric query at one time: a vector, Prometheus-style. */
export function instantLogQuery(store: LogStore, q: string | Query, timeMs: number): QueryResult {
  const value = evalMetric(store, metricOf(q), [timeMs]);
  if (value.kind === "scalar") return { resultType: "scalar", result: { t: timeMs, v: value.v } };
  const series = value.series;
  return {
    resultType: "vector",
    result: series.map((s) => ({ labels: s.labels, t: timeMs, v: (s.samples[0] as Sample).v })),
  };
}

/** A metric query at each step from startMs to endMs inclusive: a matrix. */
export function rangeLogQuery(
  store: LogStore,
  q: string | Query,
  startMs: number,
  endMs: number,
  stepMs: number,
): QueryResult {
  if (stepMs <= 0) throw new LogQLError("zero or negative query resolution step widths are not accepted");
  if (endMs < startMs) throw new LogQLError("end timestamp must not be before start time");
  if ((endMs - startMs) / stepMs > 11_000)
    throw new LogQLError("exceeded maximum resolution of 11,000 points per timeseries");
  const times: number[] = [];
  for (let t = startMs; t <= endMs; t += stepMs) times.push(t);
  const value = evalMetric(store, metricOf(q), times);
  if (value.kind === "vector") return { resultType: "matrix", result: value.series };
  return { resultType: "matrix", result: [{ labels: {}, samples: times.map((t) => ({ t, v: value.v })) }] };
}
