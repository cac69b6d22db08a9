import type { Invariant } from "../rules/model";
import { severityPriority } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import { fingerprint as fingerprintLabels } from "../telemetry/metrics/labels";
import type { InstantSample, QueryResult } from "../telemetry/types";
import { type Alert, fingerprints } from "../tickets/intake";
import { failedEvaluation, type Queried, type RuleFailure } from "./decision";
import { flapHistory, stepFlap, stepSeriesPending } from "./rule-state";

export interface InvariantDecision {
  state: RuleStateRow;
  /** Set while some series has violated for the rule's `for`: opens the ticket, or updates the open one. */
  alert: Alert | null;
  /** Set on the evaluation the rule starts flapping; raised before `alert`, which it then damps. */
  flapAlert: Alert | null;
  /** Set when the query failed or returned something other than an instant vector. */
  failure: RuleFailure | null;
}

function asVector(r: QueryResult): InstantSample[] | string {
  if (r.resultType === "vector") return r.result;
  if (r.resultType === "scalar")
    return Number.isNaN(r.result.v) ? [] : [{ labels: {}, t: r.result.t, v: r.result.v }];
  return `invariant queries must return an instant vector, got ${r.resultType}`;
}

function parseSeriesState(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** Pure: one evaluation of an invariant, from what its query returned and the rule's previous state. */
export function decideInvariant(
  inv: Invariant,
  queried: Queried<QueryResult>,
  prev: RuleStateRow,
  now: number,
): InvariantDecision {
  const series = queried.ok ? asVector(queried.value) : queried.error;
  if (typeof series === "string")
    return { ...failedEvaluation(prev, series, now), alert: null, flapAlert: null };

  // Each violating series waits out `for` on its own timer, as Prometheus's alerts do.
  const fps = series.map((s) => fingerprintLabels(s.labels));
  const step = stepSeriesPending(parseSeriesState(prev.series_state), fps, inv.for_ms, now);
  const firingFps = new Set(step.firing);
  const firingSeries = series.filter((_, i) => firingFps.has(fps[i] as string));
  const flap = stepFlap(prev.history, firingSeries.length > 0, prev.flapping === 1);
  const since = Object.values(step.pending);
  const state: RuleStateRow = {
    ...prev,
    pending_since: since.length ? Math.min(...since) : null,
    series_state: since.length ? JSON.stringify(step.pending) : null,
    history: flap.history,
    flapping: flap.flapping ? 1 : 0,
    last_value: series.length,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
  };
  const flapAlert = flap.flapping && prev.flapping !== 1 ? flappingAlert(inv, flap, now) : null;
  if (firingSeries.length === 0) return { state, alert: null, flapAlert, failure: null };

  const first = firingSeries[0];
  const value = first ? first.v : null;
  const alert: Alert = {
    actor: "monitor",
    fingerprint: fingerprints.rule("invariant", inv.name),
    // The open ticket hears of a change in how many series violate, not of every evaluation.
    whileOpen:
      prev.last_value !== series.length
        ? { event: "still_firing", data: { series: series.length, value } }
        : null,
    linkRecurrence: true,
    // Damped: while the rule flaps, recurrences go to the one flapping ticket instead of each opening a new one.
    ...(flap.flapping ? { dampedInto: fingerprints.flapping("invariant", inv.name) } : {}),
    observation: {
      rule_kind: "invariant",
      rule: inv.name,
      query: inv.query,
      value,
      labels: first?.labels ?? {},
      data: {
        series: firingSeries.slice(0, 20),
        series_count: series.length,
        firing_count: firingSeries.length,
        for_ms: inv.for_ms,
        pending_since: Math.min(...step.firing.map((fp) => step.pending[fp] as number)),
      },
      observed_at: now,
    },
    ticket: {
      title: `Invariant ${inv.name} violated`,
      objective:
        `${inv.description ? `${inv.description}. ` : ""}The invariant query returns ${series.length} violating ` +
        `series; make it return none and keep it that way.`,
      success_criteria: [
        {
          name: inv.name,
          query: inv.query,
          ...(inv.language === "logql" ? { language: "logql" as const } : {}),
          comparator: "empty",
          for_seconds: Math.round(inv.for_ms / 1000),
        },
      ],
      context: {
        rule: {
          kind: "invariant",
          name: inv.name,
          query: inv.query,
          language: inv.language,
          for: inv.for,
          severity: inv.severity,
        },
        observation: { value, labels: first?.labels ?? {}, series_count: series.length },
        criteria_before: [{ query: inv.query, comparator: "empty", value: series.length }],
      },
      source: "invariant",
      source_ref: `invariant:${inv.id}`,
      priority: severityPriority[inv.severity],
    },
  };
  return { state, alert, flapAlert, failure: null };
}

/** One ticket about the flapping itself: the cause is usually a threshold at the edge of normal. */
function flappingAlert(inv: Invariant, flap: { history: string; changes: number }, now: number): Alert {
  const stableSeconds = Math.max(600, Math.round(inv.for_ms / 1000));
  return {
    actor: "monitor",
    fingerprint: fingerprints.flapping("invariant", inv.name),
    observation: {
      rule_kind: "invariant",
      rule: inv.name,
      query: inv.query,
      value: flap.changes,
      labels: {},
      data: {
        flapping: true,
        history: flap.history,
        changes: flap.changes,
        evaluations: flap.history.length,
      },
      observed_at: now,
    },
    ticket: {
      title: `Invariant ${inv.name} is flapping`,
      objective:
        `The invariant changed between firing and clear ${flap.changes} times in the last ${flapHistory} ` +
        "evaluations, so each recurrence no longer opens its own ticket. Find why it flaps (a threshold at the " +
        "edge of normal load, an unstable instance, a rule without a `for`) and make it stable.",
      success_criteria: [
        {
          name: inv.name,
          query: inv.query,
          ...(inv.language === "logql" ? { language: "logql" as const } : {}),
          comparator: "empty",
          for_seconds: stableSeconds,
        },
      ],
      context: {
        rule: { kind: "invariant", name: inv.name, query: inv.query, language: inv.language, for: inv.for },
        observation: { value: flap.changes, history: flap.history },
      },
      source: "invariant",
      source_ref: `invariant:${inv.id}`,
      priority: severityPriority[inv.severity],
    },
  };
}
