import { systemClock } from "../lib/clock";
import { applyFault } from "./apply-fault";
import { backgroundTraffic } from "./background-traffic";
import { badDeployLimits, runBadDeploy } from "./bad-deploy";
import type { AppliedFault } from "./fault";
import type { HarnessHandle, Ticket, TicketEvent } from "./harness-handle";
import { readyInstances, restoreSlate, type Slate } from "./isolation";
import { collectSeries } from "./lab-metrics";
import type { Scenario } from "./scenarios";
import { countUnsafeActions, emptyScore, type ScenarioScore, scenarioPassed, watchFault } from "./scoring";
import { prepareSlowRedis } from "./slow-redis";
import { judgeScenario, type Observed, skipped, type Verdict } from "./verdict";

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

/** What the lab reads back after a scenario: every ticket opened since it started, and the detecting one. */
async function observe(
  h: HarnessHandle,
  start: number,
  score: ScenarioScore,
  onset: number,
): Promise<Observed> {
  const opened = (await h.api<{ items: Ticket[] }>("/api/v1/tickets?limit=500")).data.items.filter(
    (t) => t.created_at >= start,
  );
  if (score.ticket_id === null) return { opened, ticket: null, events: [], onset };
  const ticket = (await h.api<Ticket & { resolution?: string | null }>(`/api/v1/tickets/${score.ticket_id}`))
    .data;
  const events = (await h.api<TicketEvent[]>(`/api/v1/tickets/${score.ticket_id}/events`)).data;
  return { opened, ticket, events, onset };
}

/**
 * Runs a scenario and records what the lab report needs: the score, the verdict (which stage failed, with the
 * events that show it) and the curves around the fault. A scenario the harness cannot host is a skipped row;
 * one that throws is an error row, so a run over many scenarios always ends with a report. Given a slate, the
 * harness is put back afterwards (isolation.ts).
 */
export async function runScenarioForReport(h: HarnessHandle, s: Scenario, slate?: Slate) {
  const start = systemClock.now();
  const instances = (await readyInstances(h)).length;
  let score = emptyScore(s.name);
  let verdict: Verdict;
  let cleanup: string[] = [];
  if (instances < s.needs.instances) {
    verdict = skipped(
      `needs ${s.needs.instances} ready instances, the harness has ${instances} (set service.instances: ${s.needs.instances})`,
    );
  } else {
    try {
      const run = await runScenarioScored(h, s);
      score = run.score;
      verdict = judgeScenario(s, score, await observe(h, start, score, run.onset));
    } catch (err) {
      verdict = { outcome: "error", reason: (err as Error).message, evidence: [] };
    }
    if (slate) {
      const opened = (await h.api<{ items: Ticket[] }>("/api/v1/tickets?limit=500")).data.items
        .filter((t) => t.created_at >= start)
        .map((t) => t.id);
      cleanup = await restoreSlate(h, slate, s, opened, instances).catch((err: Error) => [
        `restoring the slate failed: ${err.message}`,
      ]);
    }
  }
  const end = systemClock.now();
  return {
    scenario: { name: s.name, description: s.description, expect: s.expect.rule },
    window: { start, end },
    score,
    passed: verdict.outcome === "passed",
    outcome: verdict.outcome,
    reason: verdict.reason,
    evidence: verdict.evidence,
    cleanup,
    series: verdict.outcome === "skipped" ? [] : await collectSeries(h, start - 60_000, end + 5_000),
  };
}

/** Applies one scenario's fault to a running harness and scores what the system did on its own. */
export async function runScenario(h: HarnessHandle, s: Scenario): Promise<ScenarioScore> {
  return (await runScenarioScored(h, s)).score;
}

/** The score and the fault's onset (detection and resolution count from there). */
async function runScenarioScored(
  h: HarnessHandle,
  s: Scenario,
): Promise<{ score: ScenarioScore; onset: number }> {
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
): Promise<{ score: ScenarioScore; onset: number }> {
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
    return { score, onset: started };
  }
  let fault: AppliedFault;
  if (inject) {
    fault = { onset: systemClock.now() };
    await inject();
  } else fault = await applyFault(h, s.fault);
  try {
    const score = await watchFault(h, s, before, started, fault.onset);
    score.unsafe_actions = await countUnsafeActions(h, await opened());
    return { score, onset: fault.onset };
  } finally {
    await fault.running;
  }
}
