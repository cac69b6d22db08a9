import type { Core } from "../core";
import type { Anomaly } from "../rules/anomalies";
import { type RuleStateStore, ruleStateKey } from "../rules/rule-state-store";
import type { MetricsBackend, QueryResult } from "../telemetry/types";
import { type AnomalyVerdict, robust, seasonal, zscore } from "./anomaly-math";
import type { AlertRaiser } from "./baseline-capture";
import { anomalyDue, anomalyStep, decideAnomaly, type Scored } from "./decide-anomaly";
import { attempt } from "./decision";
import type { RuleErrorSink } from "./invariants";

export { anomalyStep, backInRange } from "./decide-anomaly";

const day = 86_400_000;

function points(r: QueryResult): Map<number, number> {
  const out = new Map<number, number>();
  if (r.resultType === "matrix") {
    // Detectors watch one series; a query returning several is summed so the rule stays meaningful.
    for (const s of r.result)
      for (const p of s.samples) if (Number.isFinite(p.v)) out.set(p.t, (out.get(p.t) ?? 0) + p.v);
  }
  return out;
}

/** The detector's verdict on the latest point, or null while it has less history than `min_history`. Reads only. */
export async function scoreAnomaly(
  metrics: MetricsBackend,
  a: Anomaly,
  now: number,
  stepMs: number,
): Promise<Scored | null> {
  const step = anomalyStep(a, stepMs);
  const range = (shift: number) =>
    metrics.rangeQuery(a.query, now - a.window_ms - shift, now - shift, step).then(points);
  const recent = await range(0);
  // Only what the detector has watched counts as its history: points from before it was defined (another
  // workload, an idle service, the ramp of the traffic it was created for) are not its "usual".
  const times = [...recent.keys()].filter((t) => t >= a.updated_at).sort((x, y) => x - y);
  const lastT = times.at(-1);
  if (lastT === undefined || lastT - (times[0] as number) < a.min_history_ms) return null;
  const current = recent.get(lastT) as number;
  const history = times.slice(0, -1).map((t) => recent.get(t) as number);
  const trailing = (method: "zscore" | "mad") =>
    (method === "zscore" ? zscore : robust)(history, current, a.sensitivity, a.min_change);
  if (a.method !== "seasonal") return { verdict: trailing(a.method), current };
  const [d, w] = await Promise.all([range(day), range(7 * day)]);
  if (d.size === 0 && w.size === 0) {
    // A young store has no yesterday to compare with: judge against the trailing window meanwhile.
    const verdict = trailing("mad");
    return {
      verdict: { ...verdict, reason: `${verdict.reason} (no day-old data yet: trailing window)` },
      current,
    };
  }
  const at = (m: Map<number, number>, t: number, shift: number) => m.get(t - shift) ?? null;
  const verdict = seasonal(
    history,
    times.slice(0, -1).map((t) => at(d, t, day)),
    times.slice(0, -1).map((t) => at(w, t, 7 * day)),
    current,
    at(d, lastT, day),
    at(w, lastT, 7 * day),
    a.sensitivity,
    a.min_change,
  );
  return { verdict, current };
}

/**
 * Evaluates one detector; opens a ticket when the latest point has been an outlier for `for`, then waits
 * out the cooldown. Scores the latest point (reads), lets `decideAnomaly` judge, then writes its state and
 * raises what it decided.
 */
export async function evaluateAnomaly(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  a: Anomaly,
  now: number,
  stepMs: number,
  onError: RuleErrorSink,
  raise: AlertRaiser = async (a) => core.intake.raise(a),
): Promise<AnomalyVerdict | null> {
  const key = ruleStateKey("anomaly", a.name);
  const prev = states.get(key);
  if (!anomalyDue(a, prev, now, stepMs)) return null;
  const scored = await attempt(() => scoreAnomaly(metrics, a, now, stepMs));
  const d = decideAnomaly(a, scored, prev, now, stepMs);
  states.put(d.state);
  if (d.failure) onError(key, d.failure.message, d.failure.consecutive);
  if (d.alert) await raise(d.alert, { now, forMs: a.for_ms });
  return d.verdict;
}
