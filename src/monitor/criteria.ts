import type { QueryResult } from "../telemetry/types";
import type { SuccessCriterion } from "../tickets/model";

export interface CriterionCheck {
  query: string;
  comparator: SuccessCriterion["comparator"];
  threshold: number | null;
  /** The worst value seen (max for < / <=, min for > / >=), or the series count for empty/nonempty. */
  value: number | null;
  pass: boolean;
}

/** Every sample value of a result: a vector's, a scalar, or every point of a matrix. */
export function resultValues(r: QueryResult): number[] {
  switch (r.resultType) {
    case "vector":
      return r.result.map((s) => s.v);
    case "scalar":
      return [r.result.v];
    case "matrix":
      return r.result.flatMap((s) => s.samples.map((x) => x.v));
    default:
      return [];
  }
}

const compare: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** Pure: does a query result satisfy a criterion? Every returned series must satisfy it. */
export function checkCriterion(c: SuccessCriterion, result: QueryResult): CriterionCheck {
  const vs = resultValues(result);
  const base = { query: c.query, comparator: c.comparator, threshold: c.threshold ?? null };
  if (c.comparator === "empty") return { ...base, value: vs.length, pass: vs.length === 0 };
  if (c.comparator === "nonempty") return { ...base, value: vs.length, pass: vs.length > 0 };
  const threshold = c.threshold as number;
  const cmp = compare[c.comparator] as (a: number, b: number) => boolean;
  if (vs.length === 0) return { ...base, value: null, pass: false };
  const worst = c.comparator.startsWith("<") ? Math.max(...vs) : Math.min(...vs);
  const pass = vs.every((v) => !Number.isNaN(v) && cmp(v, threshold));
  return { ...base, value: Number.isFinite(worst) ? worst : null, pass };
}
