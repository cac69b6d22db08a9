import { currentBudget } from "../query-limits";
import type { Labels, QueryResult, Sample, SeriesQuerier } from "../types";
import { PromQLError } from "./promql-error";
import { Evaluator } from "./promql-eval";
import { parse } from "./promql-parse";
import { sig, type Value } from "./promql-util";
import { RangeCache } from "./range-cache";

// Public entry points of the embedded PromQL engine; the evaluator lives in the promql-*.ts modules.

export { PromQLError };

/** A query result together with the warnings and infos Prometheus would attach to it. */
export interface AnnotatedResult {
  result: QueryResult;
  annotations: string[];
}

export function instantQuery(q: SeriesQuerier, expr: string, timeMs: number): QueryResult {
  return instantQueryAnnotated(q, expr, timeMs).result;
}

export function rangeQuery(
  q: SeriesQuerier,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
): QueryResult {
  return rangeQueryAnnotated(q, expr, startMs, endMs, stepMs).result;
}

export function instantQueryAnnotated(q: SeriesQuerier, expr: string, timeMs: number): AnnotatedResult {
  const ev = new Evaluator(q, expr, { start: timeMs, end: timeMs, step: 0 });
  const result = toResult(ev.eval(parse(expr), timeMs), timeMs);
  return { result, annotations: [...ev.annotations] };
}

function toResult(v: Value, timeMs: number): QueryResult {
  switch (v.type) {
    case "scalar":
      return { resultType: "scalar", result: { t: timeMs, v: v.v } };
    case "vector":
      return { resultType: "vector", result: v.samples.map((s) => ({ ...s, t: timeMs })) };
    case "matrix":
      return { resultType: "matrix", result: v.series };
    case "string":
      return { resultType: "string", result: { t: timeMs, v: v.s } };
  }
}

export function rangeQueryAnnotated(
  q: SeriesQuerier,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
): AnnotatedResult {
  if (stepMs <= 0) throw new PromQLError("zero or negative query resolution step widths are not accepted");
  if ((endMs - startMs) / stepMs > 11_000)
    throw new PromQLError("exceeded maximum resolution of 11,000 points per timeseries");
  const root = parse(expr);
  const ev = new Evaluator(new RangeCache(q, endMs - startMs), expr, {
    start: startMs,
    end: endMs,
    step: stepMs,
  });
  const series = new Map<string, { labels: Labels; samples: Sample[] }>();
  for (let t = startMs; t <= endMs; t += stepMs) {
    const v = ev.eval(root, t);
    if (v.type === "matrix" || v.type === "string")
      throw new PromQLError(
        `invalid expression type "${v.type === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
      );
    const samples = v.type === "scalar" ? [{ labels: {}, t, v: v.v }] : v.samples;
    currentBudget()?.charge(samples.length);
    for (const s of samples) {
      const k = sig(s.labels, null, false);
      const e = series.get(k) ?? { labels: s.labels, samples: [] };
      e.samples.push({ t, v: s.v });
      series.set(k, e);
    }
  }
  return { result: { resultType: "matrix", result: [...series.values()] }, annotations: [...ev.annotations] };
}
