import type { Slo } from "../rules/model";
import type { MetricsBackend, QueryResult } from "../telemetry/types";
import {
  type BudgetStatus,
  type BurnCheck,
  budgetStatus,
  burnRate,
  checkBurn,
  defaultBurnPolicy,
  errorRatioQuery,
} from "./math";

function scalarOf(r: QueryResult): number | null {
  if (r.resultType === "scalar") return Number.isFinite(r.result.v) ? r.result.v : null;
  if (r.resultType === "vector") {
    const v = r.result[0]?.v;
    return v !== undefined && Number.isFinite(v) ? v : null;
  }
  return null;
}

export interface SloEvaluation {
  slo: string;
  objective: number;
  windows: BurnCheck[];
  firing: BurnCheck[];
  status: BudgetStatus;
  burn_5m: number | null;
  errors: string[];
}

/** Runs the SLI ratio for every window the policy needs (each distinct window queried once). */
export async function evaluateSlo(metrics: MetricsBackend, slo: Slo, now: number): Promise<SloEvaluation> {
  const windows = new Set<number>([slo.window_ms, 300_000]);
  for (const w of defaultBurnPolicy) {
    windows.add(w.long_ms);
    windows.add(w.short_ms);
  }
  const ratio = new Map<number, number | null>();
  const errors: string[] = [];
  await Promise.all(
    [...windows].map(async (w) => {
      try {
        ratio.set(w, scalarOf(await metrics.instantQuery(errorRatioQuery(slo.sli, w), now)));
      } catch (err) {
        errors.push((err as Error).message);
        ratio.set(w, null);
      }
    }),
  );
  const burn = (w: number) => burnRate(ratio.get(w) ?? null, slo.objective);
  const checks = defaultBurnPolicy.map((w) => checkBurn(w, burn(w.long_ms), burn(w.short_ms)));
  const burn5m = burn(300_000);
  return {
    slo: slo.name,
    objective: slo.objective,
    windows: checks,
    firing: checks.filter((c) => c.firing),
    status: budgetStatus(slo.objective, slo.window_ms, ratio.get(slo.window_ms) ?? null, burn(3_600_000)),
    burn_5m: burn5m,
    errors: [...new Set(errors)],
  };
}
