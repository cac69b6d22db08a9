import { prometheusOrSeconds, readDuration } from "../lib/duration";
import type { Labels, QueryResult } from "./types";

/** Prometheus API time parameters: RFC 3339 or Unix seconds (fractional allowed). Returns ms. */
export function parseApiTime(value: string | null | undefined, fallbackMs: number, name: string): number {
  if (value === null || value === undefined || value === "") return fallbackMs;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`invalid parameter "${name}": cannot parse "${value}" to a valid timestamp`);
  return ms;
}

/** Step: a Prometheus duration (`15s`, `1m30s`) or a number of seconds, as Prometheus's API reads it. Returns ms. */
export function parseApiStep(value: string | null | undefined): number {
  if (!value) throw new Error('invalid parameter "step": missing');
  const ms = readDuration(value, prometheusOrSeconds);
  if (ms === null) throw new Error(`invalid parameter "step": cannot parse "${value}" to a valid duration`);
  return Math.round(ms);
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

const sec = (ms: number) => ms / 1000;

/** Converts an engine result into the JSON shape of Prometheus's /api/v1/query(_range). */
export function toPromJson(r: QueryResult): { resultType: string; result: unknown } {
  switch (r.resultType) {
    case "vector":
      return {
        resultType: "vector",
        result: r.result.map((s) => ({ metric: s.labels, value: [sec(s.t), formatValue(s.v)] })),
      };
    case "matrix":
      return {
        resultType: "matrix",
        result: r.result.map((s) => ({
          metric: s.labels,
          values: s.samples.map((x) => [sec(x.t), formatValue(x.v)]),
        })),
      };
    case "scalar":
      return { resultType: "scalar", result: [sec(r.result.t), formatValue(r.result.v)] };
    case "string":
      return { resultType: "string", result: [sec(r.result.t), r.result.v] };
  }
}

const parseNum = (s: string) => (s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : Number(s));

/** The inverse, for the remote Prometheus backend: JSON from a real server back into engine shapes. */
export function fromPromJson(data: { resultType: string; result: unknown }): QueryResult {
  switch (data.resultType) {
    case "vector":
      return {
        resultType: "vector",
        result: (data.result as { metric: Labels; value: [number, string] }[]).map((s) => ({
          labels: s.metric,
          t: Math.round(s.value[0] * 1000),
          v: parseNum(s.value[1]),
        })),
      };
    case "matrix":
      return {
        resultType: "matrix",
        result: (data.result as { metric: Labels; values: [number, string][] }[]).map((s) => ({
          labels: s.metric,
          samples: s.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: parseNum(v) })),
        })),
      };
    case "scalar": {
      const [t, v] = data.result as [number, string];
      return { resultType: "scalar", result: { t: Math.round(t * 1000), v: parseNum(v) } };
    }
    default: {
      const [t, v] = data.result as [number, string];
      return { resultType: "string", result: { t: Math.round(t * 1000), v } };
    }
  }
}
