import type { Core } from "../core";
import type { Invariant } from "../rules/model";
import { severityPriority } from "../rules/model";
import type { InstantSample, LogsBackend, MetricsBackend, QueryResult } from "../telemetry/types";
import { instantIn } from "./observe";
import { stepPending } from "./rule-state";
import type { RuleStateStore } from "./state-store";

export type RuleErrorSink = (ruleKey: string, message: string, consecutive: number) => void;

function asVector(r: QueryResult): InstantSample[] {
  if (r.resultType === "vector") return r.result;
  if (r.resultType === "scalar")
    return Number.isNaN(r.result.v) ? [] : [{ labels: {}, t: r.result.t, v: r.result.v }];
  throw new Error(`invariant queries must return an instant vector, got ${r.resultType}`);
}

/** Evaluates one invariant and opens (or updates) its ticket when it has been violated for its `for`. */
export async function evaluateInvariant(
  core: Core,
  metrics: MetricsBackend,
  states: RuleStateStore,
  inv: Invariant,
  now: number,
  onError: RuleErrorSink,
  logs?: LogsBackend | null,
): Promise<{ firing: boolean; ticketId: number | null }> {
  const key = `invariant:${inv.name}`;
  const prev = states.get(key);
  let series: InstantSample[];
  try {
    series = asVector(await instantIn({ metrics, logs }, inv.language, inv.query, now));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const consecutive = prev.consecutive_errors + 1;
    states.put({ ...prev, last_eval_at: now, last_error: message, consecutive_errors: consecutive });
    onError(key, message, consecutive);
    return { firing: false, ticketId: null };
  }
  const step = stepPending(prev, series.length > 0, inv.for_ms, now);
  const first = series[0];
  const value = first ? first.v : null;
  states.put({
    ...prev,
    pending_since: step.pending_since,
    last_value: series.length,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
  });
  if (!step.firing) return { firing: false, ticketId: null };

  const fingerprint = key;
  const open = core.tickets.findOpenByFingerprint(fingerprint);
  if (open) {
    if (prev.last_value !== series.length) {
      core.tickets.addEvent(open.id, "still_firing", "monitor", { series: series.length, value });
    }
    return { firing: true, ticketId: open.id };
  }
  const observation = core.observations.record({
    rule_kind: "invariant",
    rule: inv.name,
    query: inv.query,
    value,
    labels: first?.labels ?? {},
    data: {
      series: series.slice(0, 20),
      series_count: series.length,
      for_ms: inv.for_ms,
      pending_since: step.pending_since,
    },
    observed_at: now,
  });
  const previous = core.tickets.lastByFingerprint(fingerprint);
  const ticket = core.tickets.create(
    {
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
        observation: { id: observation.id, value, labels: first?.labels ?? {}, series_count: series.length },
        criteria_before: [{ query: inv.query, comparator: "empty", value: series.length }],
        ...(previous ? { recurrence_of: previous.id } : {}),
      },
      source: "invariant",
      source_ref: `invariant:${inv.id}`,
      fingerprint,
      priority: severityPriority[inv.severity],
      observation_id: observation.id,
      ...(previous ? { parent_id: previous.id } : {}),
    },
    "monitor",
  );
  return { firing: true, ticketId: ticket.id };
}
