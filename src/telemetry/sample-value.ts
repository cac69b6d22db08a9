import type { QueryResult } from "./types";

/**
 * The one value of an instant query (a scalar, or the first sample of a vector); null when it returned no
 * finite sample. The SLO ratios, the deploy's signals, the golden signals and the runbook's answers read
 * their queries through it, so "no data" means the same everywhere.
 */
export function sampleValue(result: QueryResult | null): number | null {
  if (!result) return null;
  if (result.resultType === "scalar") return Number.isFinite(result.result.v) ? result.result.v : null;
  if (result.resultType === "vector") {
    const v = result.result[0]?.v;
    return v !== undefined && Number.isFinite(v) ? v : null;
  }
  return null;
}
