import type { Core } from "../core";
import type { MetricsBackend } from "../telemetry/types";
import type { Alert, Raised } from "../tickets/intake";
import {
  type Baseline,
  baselineLookbackMs,
  type Signal,
  type SignalValue,
  signalsOf,
  worstValue,
} from "./baseline";
import { instantIn, type Observed } from "./observe";

/** The workspace's commit at a moment (the app wires git in); none in a process without a workspace. */
export type RevisionAt = (at: number) => string | null;

/** Reads each signal at one moment; a query that fails or returns nothing reads as null. */
export async function readSignals(
  b: Observed,
  signals: readonly Signal[],
  at: number,
): Promise<SignalValue[]> {
  return Promise.all(
    signals.map(async (s) => {
      try {
        return { ...s, value: worstValue(s.good, await instantIn(b, s.language, s.query, at)) };
      } catch {
        return { ...s, value: null };
      }
    }),
  );
}

async function configHashes(metrics: MetricsBackend, at: number): Promise<string[]> {
  try {
    const r = await metrics.instantQuery('count by (hash) (ratelimiter_config_info{job="rate-limiter"})', at);
    return r.resultType === "vector"
      ? r.result
          .map((s) => s.labels.hash ?? "")
          .filter(Boolean)
          .sort()
      : [];
  } catch {
    return [];
  }
}

export async function readBaseline(
  b: Observed & { revisionAt?: RevisionAt | undefined },
  criteria: Parameters<typeof signalsOf>[0],
  at: number,
): Promise<Baseline> {
  const [signals, config_hashes] = await Promise.all([
    readSignals(b, signalsOf(criteria), at),
    configHashes(b.metrics, at),
  ]);
  let commit: string | null = null;
  try {
    commit = b.revisionAt?.(at) ?? null;
  } catch {
    commit = null;
  }
  return { at, signals, config_hashes, commit };
}

export type AlertRaiser = (alert: Alert, when: { now: number; forMs: number }) => Promise<Raised>;

/**
 * Raises an alert; when it is about to open a new ticket, first reads the service's baseline from before the
 * rule started violating (its `for`, then `baselineLookbackMs` more) into the ticket's context. An alert for an
 * open ticket only updates it, so it reads nothing.
 */
export function baselineRaiser(
  core: Core,
  b: Observed & { revisionAt?: RevisionAt | undefined },
): AlertRaiser {
  return async (alert, { now, forMs }) => {
    const opens =
      alert.fingerprint !== undefined &&
      !alert.dampedInto &&
      core.tickets.findOpenByFingerprint(alert.fingerprint) === null;
    if (!opens) return core.intake.raise(alert);
    const criteria = alert.ticket.success_criteria ?? [];
    const [baseline, opened] = await Promise.all([
      readBaseline(b, criteria, now - forMs - baselineLookbackMs),
      readSignals(b, signalsOf(criteria), now),
    ]);
    return core.intake.raise({
      ...alert,
      ticket: {
        ...alert.ticket,
        context: { ...(alert.ticket.context ?? {}), baseline: { ...baseline, opened } },
      },
    });
  };
}
