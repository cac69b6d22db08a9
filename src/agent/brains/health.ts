import type { Clock, TimerHandle } from "../../lib/clock";

/**
 * Whether the configured brain can answer, learned by probing it: at start, after one of its calls failed, and
 * while it is down on a backoff. The decisions (the state after a probe, which brain takes the next ticket,
 * what /healthz and the banner say) are pure functions over the state; `createBrainHealth` only runs the probes.
 */

/** What a failure needs to end: a key or permission (auth), the network, the API's capacity, or a fix of ours. */
export type OutageKind = "auth" | "unreachable" | "overloaded" | "rejected";

export type ProbeResult = { ok: true } | { ok: false; reason: string; kind: OutageKind };

export interface BrainState {
  status: "unknown" | "up" | "down";
  reason: string | null;
  kind: OutageKind | null;
  /** When the brain entered this status. */
  since: number;
  /** Probes failed in a row: they set the wait before the next one. */
  failures: number;
  /** While down: when it is probed again. */
  nextProbeAt: number | null;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** A key fixed or an outage over is noticed within 5 s at first, and at most 5 min later once it has lasted. */
export const defaultBackoff: Backoff = { initialMs: 5_000, maxMs: 300_000 };

export type Fallback = "runbook" | "none";

export function initialBrainState(now: number): BrainState {
  return { status: "unknown", reason: null, kind: null, since: now, failures: 0, nextProbeAt: null };
}

/** The wait before the next probe after `failures` failed in a row: doubling from `initialMs`, capped. */
export function probeDelayMs(failures: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
}

/** Pure: the state after a probe answered at `now`; `since` moves only when the status changes. */
export function afterProbe(s: BrainState, r: ProbeResult, now: number, backoff: Backoff): BrainState {
  if (r.ok)
    return {
      status: "up",
      reason: null,
      kind: null,
      since: s.status === "up" ? s.since : now,
      failures: 0,
      nextProbeAt: null,
    };
  const failures = s.failures + 1;
  return {
    status: "down",
    reason: r.reason,
    kind: r.kind,
    since: s.status === "down" ? s.since : now,
    failures,
    nextProbeAt: now + probeDelayMs(failures, backoff),
  };
}

export type BrainChoice =
  | { take: "configured" }
  | { take: "fallback"; reason: string }
  /** Claim nothing: a ticket claimed now would only fail, or be burned, on a brain that cannot answer. */
  | { take: "wait"; reason: string };

/** Pure: which brain takes the next ticket. Until the first probe answers, nobody does (it takes seconds). */
export function chooseBrain(s: BrainState, fallback: Fallback): BrainChoice {
  if (s.status === "up") return { take: "configured" };
  if (s.status === "unknown")
    return { take: "wait", reason: "the brain has not answered its first probe yet" };
  const reason = s.reason ?? "the brain is down";
  return fallback === "runbook" ? { take: "fallback", reason } : { take: "wait", reason };
}

export interface BrainReport {
  name: string;
  model: string;
  status: BrainState["status"];
  reason: string | null;
  kind: OutageKind | null;
  since: number | null;
  next_probe_at: number | null;
  fallback: Fallback;
  /** Who takes the next ticket: the configured brain, the runbook standing in, or nobody (tickets wait). */
  taking_tickets: string;
}

/** Pure: the brain as /healthz reports it. A brain without health (the runbook) is always up. */
export function brainReport(
  brain: { name: string; model: string },
  s: BrainState | null,
  fallback: Fallback,
): BrainReport {
  const choice = s ? chooseBrain(s, fallback) : ({ take: "configured" } as const);
  return {
    name: brain.name,
    model: brain.model,
    status: s?.status ?? "up",
    reason: s?.reason ?? null,
    kind: s?.kind ?? null,
    since: s?.since ?? null,
    next_probe_at: s?.nextProbeAt ?? null,
    fallback,
    taking_tickets:
      choice.take === "configured" ? brain.name : choice.take === "fallback" ? "runbook" : "none",
  };
}

/** Pure: why the harness is degraded because of its brain, or null when it is not. */
export function brainDegradation(r: BrainReport): string | null {
  if (r.status !== "down") return null;
  const who = r.taking_tickets === "runbook" ? "the runbook is taking tickets" : "tickets wait for it";
  return `brain ${r.name} is down (${r.reason ?? "no reason given"}); ${who}`;
}

/** Pure: the banner's words for the brain, and a warning beside them when it is not answering. */
export function brainBanner(r: BrainReport): { brain: string; warning?: string } {
  const brain = r.name === "claude" ? `claude (${r.model})` : r.name;
  if (r.status === "unknown") return { brain, warning: "checking that it answers" };
  if (r.status !== "down") return { brain };
  const who = r.taking_tickets === "runbook" ? "runbook is taking tickets" : "tickets wait for it";
  return { brain, warning: `down (${r.reason ?? "no reason given"}), ${who}` };
}

export interface BrainHealthDeps {
  probe: () => Promise<ProbeResult>;
  clock: Clock;
  backoff?: Backoff;
  /** Told when the status or its reason changes, for the log. */
  onChange?: (now: BrainState, before: BrainState) => void;
}

export type BrainHealth = ReturnType<typeof createBrainHealth>;

/** Runs the probes: `check` now (callers at the same time share one probe), and again on the backoff while down. */
export function createBrainHealth(deps: BrainHealthDeps) {
  const { clock } = deps;
  const backoff = deps.backoff ?? defaultBackoff;
  let state = initialBrainState(clock.now());
  let inflight: Promise<BrainState> | null = null;
  let timer: TimerHandle | null = null;
  let stopped = false;

  function settle(r: ProbeResult): BrainState {
    const before = state;
    state = afterProbe(before, r, clock.now(), backoff);
    inflight = null;
    if (state.nextProbeAt !== null && !stopped)
      timer = clock.setTimeout(() => void check(), state.nextProbeAt - clock.now());
    if (state.status !== before.status || state.reason !== before.reason) deps.onChange?.(state, before);
    return state;
  }

  function check(): Promise<BrainState> {
    if (inflight) return inflight;
    clock.clearTimeout(timer);
    timer = null;
    inflight = deps
      .probe()
      .catch(
        (err: unknown): ProbeResult => ({
          ok: false,
          reason: `probe failed: ${err instanceof Error ? err.message : String(err)}`,
          kind: "rejected",
        }),
      )
      .then(settle);
    return inflight;
  }

  return {
    state: () => state,
    check,
    stop(): void {
      stopped = true;
      clock.clearTimeout(timer);
      timer = null;
    },
  };
}
