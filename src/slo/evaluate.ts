import type { Slo } from "../rules/model";
import { sampleValue } from "../telemetry/sample-value";
import type { MetricsBackend } from "../telemetry/types";
import {
  type BudgetStatus,
  type BurnCheck,
  budgetStatus,
  burnRate,
  checkBurn,
  defaultBurnPolicy,
  errorRatioQuery,
  trafficRateQuery,
} from "./math";

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
  const traffic = new Map<number, number | null>();
  const errors: string[] = [];
  const run = async (query: string, into: Map<number, number | null>, w: number) => {
    try {
      into.set(w, sampleValue(await metrics.instantQuery(query, now)));
    } catch (err) {
      errors.push((err as Error).message);
      into.set(w, null);
    }
  };
  await Promise.all([
    ...[...windows].map((w) => run(errorRatioQuery(slo.sli, w), ratio, w)),
    // The guard's traffic is only asked for when the SLO has one: most SLOs pay nothing for it.
    ...(slo.min_rate > 0
      ? [...new Set([...defaultBurnPolicy.map((w) => w.long_ms), slo.window_ms])].map((w) =>
          run(trafficRateQuery(slo.sli, w), traffic, w),
        )
      : []),
  ]);
  const burn = (w: number) => burnRate(ratio.get(w) ?? null, slo.objective);
  const checks = defaultBurnPolicy.map((w) =>
    checkBurn(w, burn(w.long_ms), burn(w.short_ms), {
      min_rate: slo.min_rate,
      rate: traffic.get(w.long_ms) ?? null,
    }),
  );
  const burn5m = burn(300_000);
  return {
    slo: slo.name,
    objective: slo.objective,
    windows: checks,
    firing: checks.filter((c) => c.firing),
    // The guard holds for the budget too: a window that has seen less than min_rate on average (a fresh
    // harness, an idle service) has no budget worth judging, so the deploy gate and the panels say "no data".
    status: budgetStatus(
      slo.objective,
      slo.window_ms,
      slo.min_rate > 0 && (traffic.get(slo.window_ms) ?? 0) < slo.min_rate
        ? null
        : (ratio.get(slo.window_ms) ?? null),
      burn(3_600_000),
    ),
    burn_5m: burn5m,
    errors: [...new Set(errors)],
  };
}
