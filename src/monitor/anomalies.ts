import type { Core } from "../core";
import type { Anomaly } from "../rules/anomalies";
import { severityPriority } from "../rules/model";
import type { MetricsBackend, QueryResult } from "../telemetry/types";
import { type AnomalyVerdict, robust, seasonal, zscore } from "./anomaly-math";
import type { RuleErrorSink } from "./invariants";
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

/** The detector's verdict on the latest point, or null while it has less history than `min_history`. Reads only. */
export async function scoreAnomaly(
  metrics: MetricsBackend,
  a: Anomaly,
  now: number,
  stepMs: number,
): Promise<{ verdict: AnomalyVerdict; current: number } | null> {
  const step = Math.max(stepMs, Math.round(a.window_ms / 60));
  const range = (shift: number) =>
    metrics.rangeQuery(a.query, now - a.window_ms - shift, now - shift, step).then(points);
  const recent = await range(0);
  const times = [...recent.keys()].sort((x, y) => x - y);
  const lastT = times.at(-1);
  if (lastT === undefined || lastT - (times[0] as number) < a.min_history_ms) return null;
  const current = recent.get(lastT) as number;
  const history = times.slice(0, -1).map((t) => recent.get(t) as number);
  if (a.method !== "seasonal")
    return { verdict: (a.method === "zscore" ? zscore : robust)(history, current, a.sensitivity), current };
  const [d, w] = await Promise.all([range(day), range(7 * day)]);
  const at = (m: Map<number, number>, t: number, shift: number) => m.get(t - shift) ?? null;
  const verdict = seasonal(
    history,
    times.slice(0, -1).map((t) => at(d, t, day)),
    times.slice(0, -1).map((t) => at(w, t, 7 * day)),
    current,
    at(d, lastT, day),
    at(w, lastT, 7 * day),
    a.sensitivity,
  );
  return { verdict, current };
}

/** Evaluates one detector; opens a ticket when the latest point is an outlier, then waits out the cooldown. */
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
  // A detector reads a whole window of history: run it at most once a minute, on about 60 points.
  if (prev.last_eval_at !== null && now - prev.last_eval_at < Math.max(60_000, stepMs)) return null;
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
    states.put({ ...prev, last_eval_at: now, last_error: null, consecutive_errors: 0 });
    return null;
  }
  const { verdict, current } = scored;
  // started_at remembers the last firing, for the cooldown.
  const cooling = prev.started_at !== null && now - prev.started_at < a.cooldown_ms;
  states.put({
    ...prev,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
    last_value: verdict.score,
    started_at: verdict.anomalous && !cooling ? now : prev.started_at,
  });
  if (!verdict.anomalous || cooling) return verdict;
  if (core.tickets.findOpenByFingerprint(key)) {
    core.tickets.addEvent(
      (core.tickets.findOpenByFingerprint(key) as { id: number }).id,
      "still_firing",
      "monitor",
      { score: verdict.score, reason: verdict.reason },
    );
    return verdict;
  }
  const observation = core.observations.record({
    rule_kind: "anomaly",
    rule: a.name,
    query: a.query,
    value: current ?? null,
    labels: {},
    data: { method: a.method, score: verdict.score, reason: verdict.reason, sensitivity: a.sensitivity },
    observed_at: now,
  });
  const previous = core.tickets.lastByFingerprint(key);
  core.tickets.create(
    {
      title: `Anomaly ${a.name}: ${a.description || a.query}`,
      objective: `${verdict.reason}. Find the cause; if it is a fault, fix it so the value returns to its usual range.`,
      success_criteria: [],
      context: {
        rule: { kind: "anomaly", name: a.name, query: a.query, method: a.method, sensitivity: a.sensitivity },
        observation: { id: observation.id, value: current, score: verdict.score },
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
