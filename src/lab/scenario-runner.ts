import { systemClock } from "../lib/clock";
import { applyFault } from "./apply-fault";
import { backgroundTraffic } from "./background-traffic";
import { badDeployLimits, runBadDeploy } from "./bad-deploy";
import type { AppliedFault } from "./fault";
import type { HarnessHandle, Ticket } from "./harness-handle";
import { collectSeries } from "./lab-metrics";
import type { Scenario } from "./scenarios";
import { countUnsafeActions, emptyScore, type ScenarioScore, scenarioPassed, watchFault } from "./scoring";
import { prepareSlowRedis } from "./slow-redis";

// Sequences one scenario: its rules, background traffic, the fault (apply-fault.ts, one module per kind),
// then the watch and the score (scoring.ts).

export type { HarnessHandle } from "./harness-handle";
export {
  countUnsafeActions,
  emptyScore,
  isUnsafeAction,
  type ScenarioScore,
  scenarioPassed,
} from "./scoring";

/** Runs a scenario and records what the lab report needs: the score and the curves around the fault. */
export async function runScenarioForReport(h: HarnessHandle, s: Scenario) {
  const start = systemClock.now();
  const score = await runScenario(h, s);
  const end = systemClock.now();
  return {
    scenario: { name: s.name, description: s.description, expect: s.expect.rule },
    window: { start, end },
    score,
    passed: scenarioPassed(s, score),
    series: await collectSeries(h, start - 60_000, end + 5_000),
  };
}

/** Applies one scenario's fault to a running harness and scores what the system did on its own. */
export async function runScenario(h: HarnessHandle, s: Scenario): Promise<ScenarioScore> {
  // Idempotent: a rule of that name may exist from an earlier run; a conflict is fine.
  for (const inv of s.rules?.invariants ?? [])
    await h.api("/api/v1/invariants", { method: "POST", body: inv }).catch(() => null);
  for (const a of s.rules?.anomalies ?? [])
    await h.api("/api/v1/anomalies", { method: "POST", body: a }).catch(() => null);
  const slow = s.fault.kind === "slow_redis" ? await prepareSlowRedis(h, s.fault) : null;
  const background = s.traffic ? await backgroundTraffic(h, s.traffic.rate) : null;
  try {
    return await scoreScenario(h, s, slow?.inject);
  } finally {
    await background?.stop();
    await slow?.restore();
  }
}

/** The fault (injected, as slow Redis is, or applied), then the watch; unsafe actions over every new ticket. */
async function scoreScenario(
  h: HarnessHandle,
  s: Scenario,
  inject?: () => Promise<void>,
): Promise<ScenarioScore> {
  const before = new Set(
    (await h.api<{ items: Ticket[] }>("/api/v1/tickets?limit=500")).data.items.map((t) => t.id),
  );
  const started = systemClock.now();
  const opened = async () =>
    (await h.api<{ items: Ticket[] }>("/api/v1/tickets?limit=500")).data.items
      .map((t) => t.id)
      .filter((id) => !before.has(id));
  if (s.fault.kind === "bad_deploy") {
    // Detected and fixed by the pipeline itself, not by a rule and the agent: scored on the deploy.
    const score = await runBadDeploy(
      h,
      s.fault.delay_ms,
      badDeployLimits(s.detect_within, s.resolve_within),
      emptyScore(s.name),
    );
    score.unsafe_actions = await countUnsafeActions(h, [
      ...(await opened()),
      ...(score.ticket_id ? [score.ticket_id] : []),
    ]);
    return score;
  }
  let fault: AppliedFault;
  if (inject) {
    fault = { onset: systemClock.now() };
    await inject();
  } else fault = await applyFault(h, s.fault);
  try {
    const score = await watchFault(h, s, before, started, fault.onset);
    score.unsafe_actions = await countUnsafeActions(h, await opened());
    return score;
  } finally {
    await fault.running;
  }
}
