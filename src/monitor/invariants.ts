import type { Core } from "../core";
import type { Invariant } from "../rules/model";
import { severityPriority } from "../rules/model";
import { fingerprint as fingerprintLabels } from "../telemetry/metrics/labels";
import type { InstantSample, LogsBackend, MetricsBackend, QueryResult } from "../telemetry/types";
import { instantIn } from "./observe";
import { flapHistory, stepFlap, stepSeriesPending } from "./rule-state";
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
  // Each violating series waits out `for` on its own timer, as Prometheus's alerts do.
  const fps = series.map((s) => fingerprintLabels(s.labels));
  const step = stepSeriesPending(parseSeriesState(prev.series_state), fps, inv.for_ms, now);
  const firingFps = new Set(step.firing);
  const firingSeries = series.filter((_, i) => firingFps.has(fps[i] as string));
  const flap = stepFlap(prev.history, firingSeries.length > 0, prev.flapping === 1);
  const since = Object.values(step.pending);
  states.put({
    ...prev,
    pending_since: since.length ? Math.min(...since) : null,
    series_state: since.length ? JSON.stringify(step.pending) : null,
    history: flap.history,
    flapping: flap.flapping ? 1 : 0,
    last_value: series.length,
    last_eval_at: now,
    last_error: null,
    consecutive_errors: 0,
  });
  const flapTicket = flap.flapping && prev.flapping !== 1 ? openFlapTicket(core, inv, key, flap, now) : null;
  if (firingSeries.length === 0) return { firing: false, ticketId: flapTicket };
  const first = firingSeries[0];
  const value = first ? first.v : null;

  const fingerprint = key;
  const open = core.tickets.findOpenByFingerprint(fingerprint);
  if (open) {
    if (prev.last_value !== series.length) {
      core.tickets.addEvent(open.id, "still_firing", "monitor", { series: series.length, value });
    }
    return { firing: true, ticketId: open.id };
  }
  // Damped: while the rule flaps, recurrences go to the one flapping ticket instead of each opening a new one.
  if (flap.flapping)
    return { firing: true, ticketId: core.tickets.findOpenByFingerprint(`${key}:flapping`)?.id ?? null };
  const observation = core.observations.record({
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

function parseSeriesState(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** One ticket about the flapping itself: the cause is usually a threshold at the edge of normal. */
function openFlapTicket(
  core: Core,
  inv: Invariant,
  key: string,
  flap: { history: string; changes: number },
  now: number,
): number {
  const fingerprint = `${key}:flapping`;
  const open = core.tickets.findOpenByFingerprint(fingerprint);
  if (open) return open.id;
  const observation = core.observations.record({
    rule_kind: "invariant",
    rule: inv.name,
    query: inv.query,
    value: flap.changes,
    labels: {},
    data: { flapping: true, history: flap.history, changes: flap.changes, evaluations: flap.history.length },
    observed_at: now,
  });
  const stableSeconds = Math.max(600, Math.round(inv.for_ms / 1000));
  return core.tickets.create(
    {
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
        observation: { id: observation.id, value: flap.changes, history: flap.history },
      },
      source: "invariant",
      source_ref: `invariant:${inv.id}`,
      fingerprint,
      priority: severityPriority[inv.severity],
      observation_id: observation.id,
    },
    "monitor",
  ).id;
}
