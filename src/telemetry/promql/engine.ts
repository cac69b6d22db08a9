import type { Labels, QueryResult, Sample, SeriesQuerier } from "../types";
import { buildAst } from "./ast-build";
import { PromQLError } from "./errors";
import { defaultLimits, type EvalLimits, Evaluator } from "./eval";
import { parse } from "./parse";
import { typeOf } from "./typecheck";
import { sig, type Value } from "./util";

// Public entry points of the embedded PromQL engine; the evaluator lives in the promql-*.ts modules.

export { PromQLError };

/** Engine knobs; every field falls back to Prometheus's default. */
export interface EngineOptions {
  /** How far back an instant selector looks for a sample (default 5 min). */
  lookbackDeltaMs?: number;
  /** Upper bound on samples a query may load (default 50 million). */
  maxSamples?: number;
  /** Subquery step when none is given (default 1 min, the global evaluation interval). */
  defaultStepMs?: number;
}

/** Parses and type-checks like Prometheus's parser, so type errors surface even when no data matches. */
function checked(expr: string) {
  const root = parse(expr);
  typeOf(buildAst(root, expr));
  return root;
}

const limitsOf = (o: EngineOptions | undefined): EvalLimits => ({
  lookbackDeltaMs: o?.lookbackDeltaMs ?? defaultLimits.lookbackDeltaMs,
  maxSamples: o?.maxSamples ?? defaultLimits.maxSamples,
  defaultStepMs: o?.defaultStepMs ?? defaultLimits.defaultStepMs,
});

/** A query result together with the warnings and infos Prometheus would attach to it. */
export interface AnnotatedResult {
  result: QueryResult;
  annotations: string[];
}

export function instantQuery(
  q: SeriesQuerier,
  expr: string,
  timeMs: number,
  opts?: EngineOptions,
): QueryResult {
  return instantQueryAnnotated(q, expr, timeMs, opts).result;
}

export function rangeQuery(
  q: SeriesQuerier,
  expr: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  opts?: EngineOptions,
): QueryResult {
  return rangeQueryAnnotated(q, expr, startMs, endMs, stepMs, opts).result;
}

export function instantQueryAnnotated(
  q: SeriesQuerier,
  expr: string,
  timeMs: number,
  opts?: EngineOptions,
): AnnotatedResult {
  const ev = new Evaluator(q, expr, { start: timeMs, end: timeMs, step: 0 }, limitsOf(opts));
  const result = toResult(ev.eval(checked(expr), timeMs), timeMs);
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
  opts?: EngineOptions,
): AnnotatedResult {
  if (stepMs <= 0) throw new PromQLError("zero or negative query resolution step widths are not accepted");
  if ((endMs - startMs) / stepMs > 11_000)
    throw new PromQLError("exceeded maximum resolution of 11,000 points per timeseries");
  const root = checked(expr);
  const ev = new Evaluator(q, expr, { start: startMs, end: endMs, step: stepMs }, limitsOf(opts));
  const series = new Map<string, { labels: Labels; samples: Sample[] }>();
  for (let t = startMs; t <= endMs; t += stepMs) {
    const v = ev.eval(root, t);
    if (v.type === "matrix" || v.type === "string")
      throw new PromQLError(
        `invalid expression type "${v.type === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
      );
    const samples = v.type === "scalar" ? [{ labels: {}, t, v: v.v }] : v.samples;
    for (const s of samples) {
      const k = sig(s.labels, null, false);
      const e = series.get(k) ?? { labels: s.labels, samples: [] };
      e.samples.push({ t, v: s.v });
      series.set(k, e);
    }
  }
  return { result: { resultType: "matrix", result: [...series.values()] }, annotations: [...ev.annotations] };
}
