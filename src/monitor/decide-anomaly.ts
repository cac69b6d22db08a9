import type { Anomaly } from "../rules/anomalies";
import { severityPriority } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import { type Alert, fingerprints } from "../tickets/intake";
import type { SuccessCriterion } from "../tickets/model";
import type { AnomalyVerdict } from "./anomaly-math";
import { failedEvaluation, type Queried, type RuleFailure } from "./decision";
import { stepPending } from "./rule-state";

/** A detector judges about 60 points of its window, and never more often than the monitor ticks. */
export const anomalyStep = (a: Anomaly, stepMs: number) => Math.max(stepMs, Math.round(a.window_ms / 60));

/** A detector reads a whole window of history: judge each of its points once, not every tick. */
export function anomalyDue(a: Anomaly, prev: RuleStateRow, now: number, stepMs: number): boolean {
  return prev.last_eval_at === null || now - prev.last_eval_at >= anomalyStep(a, stepMs);
}

/** The detector's verdict on the latest point and that point's value (`scoreAnomaly`). */
export interface Scored {
  verdict: AnomalyVerdict;
  current: number;
}

export interface AnomalyDecision {
  state: RuleStateRow;
  /** The verdict judged, or null when the query failed or the detector has too little history yet. */
  verdict: AnomalyVerdict | null;
  /** Set when the latest point has been an outlier for `for` and the last firing is past its cooldown. */
  alert: Alert | null;
  failure: RuleFailure | null;
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
 * Pure: one evaluation of a detector, from its score (null: less history than `min_history`) and the rule's
 * previous state. `started_at` remembers the last firing, for the cooldown.
 */
export function decideAnomaly(
  a: Anomaly,
  scored: Queried<Scored | null>,
  prev: RuleStateRow,
  now: number,
  stepMs: number,
): AnomalyDecision {
  if (!scored.ok) return { ...failedEvaluation(prev, scored.error, now), verdict: null, alert: null };
  if (!scored.value) {
    const state = {
      ...prev,
      last_eval_at: now,
      last_error: null,
      consecutive_errors: 0,
      pending_since: null,
    };
    return { state, verdict: null, alert: null, failure: null };
  }
  const { verdict, current } = scored.value;
  const pending = stepPending(prev, verdict.anomalous, a.for_ms, now);
  const cooling = prev.started_at !== null && now - prev.started_at < a.cooldown_ms;
  const fires = pending.firing && !cooling;
  const state: RuleStateRow = {
    ...prev,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
    last_value: verdict.score,
    pending_since: pending.pending_since,
    started_at: fires ? now : prev.started_at,
  };
  if (!fires) return { state, verdict, alert: null, failure: null };
  const criteria = backInRange(a, verdict, current, stepMs);
  const alert: Alert = {
    actor: "monitor",
    fingerprint: fingerprints.rule("anomaly", a.name),
    whileOpen: { event: "still_firing", data: { score: verdict.score, reason: verdict.reason } },
    linkRecurrence: true,
    observation: {
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
    },
    ticket: {
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
        observation: { value: current, score: verdict.score, band: verdict.band },
        criteria_before: criteria.map((c) => ({ query: c.query, comparator: c.comparator, value: current })),
      },
      source: "anomaly",
      source_ref: `anomaly:${a.id}`,
      priority: severityPriority[a.severity],
    },
  };
  return { state, verdict, alert, failure: null };
}
