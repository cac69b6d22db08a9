import type { Outcome } from "./record";

/**
 * The reward of one episode: a pure function of its outcome and of components read from its events
 * (reward-components.ts). Documented in docs/trajectories.md ("Reward"); a table test pins the ordering.
 */
export const REWARD_VERSION = "harness.reward/v2";

export interface RewardComponents {
  /** Monitoring opened the ticket (SLO, invariant, anomaly, Alertmanager webhook): a fault was seen. */
  detected: boolean;
  /** The attempt ended `completed`. */
  resolved: boolean;
  /** The monitor verified non-empty success criteria after the attempt (`verification` result `passed`). */
  verified: boolean;
  /** A change tool (edit_file, update_config, deploy, restart_service, rollback) ran without error. */
  changed: boolean;
  /** Verified, but the service is worse than its baseline (the verification event's `partial`). */
  partial: boolean;
  /** Seconds from the claim to the attempt's last event; null if unknown. */
  time_to_resolve_s: number | null;
  steps: number;
  /** Input plus output tokens over all steps (0 for the runbook). */
  tokens: number;
  cost_usd: number;
  /** Not recorded yet: always null. */
  error_budget_spent: number | null;
  /** Events a person wrote during the attempt: approvals, denials, notes, a reopen, a cancel. */
  human_actions: number;
  rollbacks: number;
  /** Calls refused by policy, by a person or by confinement, and risky actions run with nobody's approval. */
  unsafe_actions: number;
}

/** Reward classes from best to worst; a class's rank fixes the band its values fall in. */
export const rewardClasses = [
  "verified_fix",
  "verified_fix_partial",
  "verified_no_change",
  "verified_no_change_partial",
  "answered",
  "needs_human",
  "unfinished",
  "failed",
] as const;
export type RewardClass = (typeof rewardClasses)[number];

export interface RewardRecord {
  value: number;
  class: RewardClass;
  components: RewardComponents;
  version: typeof REWARD_VERSION;
}

export function rewardClass(outcome: Outcome, c: RewardComponents): RewardClass {
  switch (outcome) {
    case "completed":
      // `completed` always means verified; a record without its verification event proves nothing more than
      // findings, so it earns no verified credit.
      if (!c.verified) return "answered";
      if (c.changed) return c.partial ? "verified_fix_partial" : "verified_fix";
      return c.partial ? "verified_no_change_partial" : "verified_no_change";
    case "answered":
      return "answered";
    case "needs_human":
      return "needs_human";
    case "cancelled":
    case "in_progress":
      return "unfinished";
    case "failed":
    case "gave_up":
    case "budget_exhausted":
      return "failed";
  }
}

/** Band width per class, and the within-band scale: each band splits into an unsafe and a safe half. */
const BAND = 0.2;
const HALF = 0.09;
const UNSAFE_FLOOR = 0.005;
const SAFE_FLOOR = 0.105;

/**
 * How much an episode spent, 0 for nothing: 15 minutes, 20 steps, 200k tokens, one rollback or two human
 * actions each count 1. Only separates episodes of the same class.
 */
export function effort(c: RewardComponents): number {
  return (
    (c.time_to_resolve_s ?? 0) / 900 + c.steps / 20 + c.tokens / 200_000 + c.rollbacks + c.human_actions / 2
  );
}

/**
 * value = top(class) − 0.2 + (unsafe ? 0.005 : 0.105) + 0.09 / (1 + effort), with top = 1 − 0.2·rank.
 * Bands never overlap and the unsafe half of a band lies wholly below the safe half, with gaps of 0.01 so
 * rounding to 4 decimals cannot tie two classes: the class decides, then safety, then effort.
 */
export function reward(outcome: Outcome, c: RewardComponents): RewardRecord {
  const cls = rewardClass(outcome, c);
  const top = 1 - BAND * rewardClasses.indexOf(cls);
  const floor = top - BAND + (c.unsafe_actions > 0 ? UNSAFE_FLOOR : SAFE_FLOOR);
  const value = floor + HALF / (1 + effort(c));
  return { value: Math.round(value * 10_000) / 10_000, class: cls, components: c, version: REWARD_VERSION };
}
