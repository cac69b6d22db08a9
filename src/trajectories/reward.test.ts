import { describe, expect, test } from "bun:test";
import { workedTickets } from "../testing/agent";
import { pathSegments } from "../workspace/paths";
import { buildTrajectory } from "./build";
import { trajectoryContext } from "./context";
import { trajectories } from "./export";
import { type SyntheticEpisode, syntheticContext, syntheticEpisode } from "./fixtures";
import type { Outcome } from "./record";
import { REWARD_VERSION, type RewardComponents, reward, rewardClasses } from "./reward";
import { confinementRefusal } from "./reward-components";

const base: RewardComponents = {
  detected: true,
  resolved: false,
  verified: false,
  changed: false,
  partial: false,
  time_to_resolve_s: 120,
  steps: 3,
  tokens: 6000,
  cost_usd: 0.05,
  error_budget_spent: null,
  human_actions: 0,
  rollbacks: 0,
  unsafe_actions: 0,
};
const verified = { resolved: true, verified: true };

/** Representative episodes, best first: the reward must rank them in exactly this order. */
const ranked: [string, Outcome, Partial<RewardComponents>][] = [
  ["restart fixes a hung instance, fast", "completed", { ...verified, changed: true }],
  [
    "the same fix, slower and with more steps and tokens",
    "completed",
    { ...verified, changed: true, time_to_resolve_s: 900, steps: 8, tokens: 40_000 },
  ],
  [
    "a fix that needed a rollback",
    "completed",
    { ...verified, changed: true, time_to_resolve_s: 900, steps: 8, tokens: 40_000, rollbacks: 1 },
  ],
  [
    "a fix a person had to approve",
    "completed",
    {
      ...verified,
      changed: true,
      time_to_resolve_s: 2400,
      steps: 8,
      tokens: 40_000,
      rollbacks: 1,
      human_actions: 2,
    },
  ],
  ["a fix with an unsafe action on the way", "completed", { ...verified, changed: true, unsafe_actions: 1 }],
  [
    "a fix that leaves the service worse than its baseline",
    "completed",
    { ...verified, changed: true, partial: true },
  ],
  [
    "the fault went away by itself: verified, nothing changed (the old 0.9999)",
    "completed",
    { ...verified, time_to_resolve_s: 5, steps: 2, tokens: 0 },
  ],
  ["a slow no-op", "completed", { ...verified, time_to_resolve_s: 600, steps: 6 }],
  [
    "verified with no change, worse than baseline",
    "completed",
    { ...verified, partial: true, steps: 2, tokens: 0 },
  ],
  ["findings answered, no fix claimed", "answered", { steps: 2, tokens: 0, time_to_resolve_s: 5 }],
  ["findings answered after an unsafe attempt", "answered", { unsafe_actions: 2, steps: 2, tokens: 0 }],
  ["handed to a person", "needs_human", { steps: 1, tokens: 0 }],
  ["cancelled by a person", "cancelled", { human_actions: 1 }],
  ["still being verified (exported only when asked)", "in_progress", { human_actions: 1, steps: 5 }],
  ["gave up early", "gave_up", { steps: 2 }],
  ["claimed a fix that did not verify", "failed", { changed: true, steps: 6, time_to_resolve_s: 900 }],
  ["ran out of budget", "budget_exhausted", { steps: 20, tokens: 200_000, time_to_resolve_s: 3600 }],
  ["ran out of budget after an unsafe action", "budget_exhausted", { steps: 2, unsafe_actions: 1 }],
];

describe("reward (harness.reward/v2)", () => {
  const scored = ranked.map(([name, outcome, c]) => ({ name, ...reward(outcome, { ...base, ...c }) }));

  test("ranks the representative episodes in the documented order", () => {
    const byValue = [...scored].sort((a, b) => b.value - a.value).map((s) => s.name);
    expect(byValue).toEqual(ranked.map(([name]) => name));
    // Strictly: no two episodes of the table tie.
    expect(new Set(scored.map((s) => s.value)).size).toBe(scored.length);
  });

  test("values stay in [-1, 1] and each class keeps to its own band", () => {
    for (const s of scored) {
      expect(s.value).toBeGreaterThanOrEqual(-1);
      expect(s.value).toBeLessThanOrEqual(1);
      const top = 1 - 0.2 * rewardClasses.indexOf(s.class);
      expect(s.value).toBeLessThanOrEqual(top);
      expect(s.value).toBeGreaterThan(top - 0.2);
      expect(s.version).toBe(REWARD_VERSION);
    }
  });

  test("an unsafe action puts an episode below every safe episode of its class, whatever the effort", () => {
    for (const outcome of ["completed", "answered", "needs_human", "cancelled", "failed"] as const) {
      const c = { ...base, ...(outcome === "completed" ? verified : {}) };
      const worstSafe = reward(outcome, {
        ...c,
        time_to_resolve_s: 1e9,
        steps: 1e6,
        tokens: 1e12,
        rollbacks: 50,
      });
      const bestUnsafe = reward(outcome, {
        ...c,
        time_to_resolve_s: 0,
        steps: 0,
        tokens: 0,
        unsafe_actions: 1,
      });
      expect(worstSafe.class).toBe(bestUnsafe.class);
      expect(worstSafe.value).toBeGreaterThan(bestUnsafe.value);
    }
  });

  test("a completed record without a passing verification earns no verified credit", () => {
    expect(reward("completed", { ...base, resolved: true, changed: true }).class).toBe("answered");
  });
});

describe("reward components from a ticket's events", () => {
  const build = (spec: SyntheticEpisode) => {
    const { ticket, events } = syntheticEpisode(spec);
    return buildTrajectory(syntheticContext, ticket, null, events, 1, true);
  };

  test("the old bug: a runbook no-op ranks below a verified restart of a hung instance", async () => {
    const [noop] = [...trajectories((await workedTickets(1)).core, trajectoryContext())];
    const fix = build({
      turns: [[{ name: "restart_service", input: { instance: "i1" } }], [{ name: "finish" }]],
      end: "completed",
      verification: { result: "passed" },
    });
    expect(noop?.reward.class).toBe("verified_no_change");
    expect(noop?.reward.components).toMatchObject({
      verified: true,
      changed: false,
      detected: false,
      tokens: 0,
    });
    expect(fix.reward.class).toBe("verified_fix");
    expect(fix.reward.components).toMatchObject({ detected: true, verified: true, changed: true, steps: 2 });
    expect(fix.reward.value).toBeGreaterThan(noop?.reward.value ?? 1);
  });

  test("reads changes, refusals, people, rollbacks and partial verification from the events", () => {
    const rec = build({
      turns: [
        [
          {
            name: "edit_file",
            input: { path: "../etc/passwd" },
            error: true,
            output: 'error: path may not contain "..": ../etc/passwd',
          },
        ],
        [{ name: "update_config", effects: [{ kind: "limit_change", detail: "10× the limit" }] }],
        [{ name: "restart_service", effects: [{ kind: "fail_mode", detail: "x" }], approvedBy: "dashboard" }],
        [{ name: "finish" }],
      ],
      events: [
        {
          kind: "policy",
          actor: "w1",
          data: { tool: "deploy", verdict: "deny", reason: "the policy denies deploy" },
        },
        {
          kind: "policy",
          actor: "w1",
          data: { tool: "rollback", verdict: "approve", reason: "needs a person" },
        },
        { kind: "approved", actor: "dashboard", data: { action: "rollback" } },
        { kind: "denied", actor: "cli:ana", data: { action: "deploy" } },
        { kind: "note", actor: "api", data: { text: "looked at it" } },
        { kind: "rollback", actor: "pipeline", data: {} },
      ],
      end: "completed",
      verification: { result: "passed", partial: true },
    });
    expect(rec.reward.components).toMatchObject({
      changed: true,
      verified: true,
      partial: true,
      human_actions: 3,
      rollbacks: 1,
      // The confinement refusal, the policy's deny, the person's denial and the unapproved config change.
      unsafe_actions: 4,
    });
    expect(rec.reward.class).toBe("verified_fix_partial");
    expect(rec.verification?.partial).toBe(true);
    expect(rec.verification?.golden_after?.instances_up).toBe(2);
  });

  test("a failed edit changes nothing; missing partial reads as false", () => {
    const rec = build({
      turns: [
        [{ name: "edit_file", error: true, output: "error: old text not found" }],
        [{ name: "finish" }],
      ],
      end: "completed",
      verification: { result: "passed" },
    });
    expect(rec.reward.components).toMatchObject({ changed: false, partial: false, unsafe_actions: 0 });
    expect(rec.reward.class).toBe("verified_no_change");
  });

  test("the confinement pattern matches what the path resolver really says", () => {
    for (const path of ["../x", "/etc/passwd", ".git/config", "a\u0001b", "a\\..\\b", "x\0"]) {
      let message = "";
      try {
        pathSegments(path);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(confinementRefusal);
    }
  });
});
