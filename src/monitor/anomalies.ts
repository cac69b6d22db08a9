import type { Core } from "../core";
import type { Anomaly } from "../rules/anomalies";
import { severityPriority } from "../rules/model";
import type { MetricsBackend, QueryResult } from "../telemetry/types";
import type { SuccessCriterion } from "../tickets/model";
import { type AnomalyVerdict, robust, seasonal, zscore } from "./anomaly-math";
import type { RuleErrorSink } from "./invariants";
import { stepPending } from "./rule-state";
import type { RuleStateStore } from "./state-store";

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

/** A detector judges about 60 points of its window, and never more often than the monitor ticks. */
export const anomalyStep = (a: Anomaly, stepMs: number) => Math.max(stepMs, Math.round(a.window_ms / 60));

/** The detector's verdict on the latest point, or null while it has less history than `min_history`. Reads only. */
export async function scoreAnomaly(
  metrics: MetricsBackend,
  a: Anomaly,
  now: number,
  stepMs: number,
): Promise<{ verdict: AnomalyVerdict; current: number } | null> {
  const step = anomalyStep(a, stepMs);
  const range = (shift: number) =>
    metrics.rangeQuery(a.query, now - a.window_ms - shift, now - shift, step).then(points);
  const recent = await range(0);
  const times = [...recent.keys()].sort((x, y) => x - y);
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
 * What "fixed" means for an anomaly: the value is back inside the usual range on the side it left, held for
 * a few of the detector's points so one lucky sample does not verify it.
 */
export function backInRange(
  a: Anomaly,
  verdict: AnomalyVerdict,
  current: number,
  stepMs: number,
): SuccessCriterion[] {
  if (!verdict.band) return [];
  const above = current > verdict.band.high;
  return [
    {
      name: `${a.name} back in its usual range`,
      query: a.query,
      comparator: above ? "<=" : ">=",
      threshold: Number((above ? verdict.band.high : verdict.band.low).toPrecision(6)),
      for_seconds: Math.max(30, Math.round((3 * anomalyStep(a, stepMs)) / 1000)),
    },
  ];
}

/**
 * Evaluates one detector; opens a ticket when the latest point has been an outlier for `for`, then waits
 * out the cooldown.
 */
export async function evaluateAnomaly(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  a: Anomaly,
  now: number,
  stepMs: number,
  onError: RuleErrorSink,
): Promise<AnomalyVerdict | null> {
  const key = `anomaly:${a.name}`;
  const prev = states.get(key);
  // A detector reads a whole window of history: judge each of its points once, not every tick.
  if (prev.last_eval_at !== null && now - prev.last_eval_at < anomalyStep(a, stepMs)) return null;
  let scored: Awaited<ReturnType<typeof scoreAnomaly>>;
  try {
    scored = await scoreAnomaly(metrics, a, now, stepMs);
  } catch (err) {
    const consecutive = prev.consecutive_errors + 1;
    states.put({
      ...prev,
      last_eval_at: now,
      last_error: (err as Error).message,
      consecutive_errors: consecutive,
    });
    onError(key, (err as Error).message, consecutive);
    return null;
  }
  if (!scored) {
    states.put({ ...prev, last_eval_at: now, last_error: null, consecutive_errors: 0, pending_since: null });
    return null;
  }
  const { verdict, current } = scored;
  const pending = stepPending(prev, verdict.anomalous, a.for_ms, now);
  // started_at remembers the last firing, for the cooldown.
  const cooling = prev.started_at !== null && now - prev.started_at < a.cooldown_ms;
  const fires = pending.firing && !cooling;
  states.put({
    ...prev,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
    last_value: verdict.score,
    pending_since: pending.pending_since,
    started_at: fires ? now : prev.started_at,
  });
  if (!fires) return verdict;
  const open = core.tickets.findOpenByFingerprint(key);
  if (open) {
    core.tickets.addEvent(open.id, "still_firing", "monitor", {
      score: verdict.score,
      reason: verdict.reason,
    });
    return verdict;
  }
  const observation = core.observations.record({
    rule_kind: "anomaly",
    rule: a.name,
    query: a.query,
    value: current ?? null,
    labels: {},
    data: {
      method: a.method,
      score: verdict.score,
      reason: verdict.reason,
      sensitivity: a.sensitivity,
      band: verdict.band,
      ...(a.for_ms > 0 ? { pending_since: pending.pending_since } : {}),
    },
    observed_at: now,
  });
  const previous = core.tickets.lastByFingerprint(key);
  const criteria = backInRange(a, verdict, current, stepMs);
  core.tickets.create(
    {
      title: `Anomaly ${a.name}: ${a.description || a.query}`,
      objective:
        `${verdict.reason}. Find the cause; if it is a fault, fix it so the value returns to its usual range` +
        (verdict.band
          ? ` (${verdict.band.low.toPrecision(4)} to ${verdict.band.high.toPrecision(4)}).`
          : "."),
      success_criteria: criteria,
      context: {
        rule: {
          kind: "anomaly",
          name: a.name,
          query: a.query,
          method: a.method,
          sensitivity: a.sensitivity,
          min_change: a.min_change,
        },
        observation: { id: observation.id, value: current, score: verdict.score, band: verdict.band },
        criteria_before: criteria.map((c) => ({ query: c.query, comparator: c.comparator, value: current })),
        ...(previous ? { recurrence_of: previous.id } : {}),
      },
      source: "anomaly",
      source_ref: `anomaly:${a.id}`,
      fingerprint: key,
      priority: severityPriority[a.severity],
      observation_id: observation.id,
      ...(previous ? { parent_id: previous.id } : {}),
    },
    "monitor",
  );
  return verdict;
}
