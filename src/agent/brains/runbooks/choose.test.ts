import { describe, expect, test } from "bun:test";
import { openRollbackFollowUp } from "../../../deploy/rollback-follow-up";
import { decideAnomaly } from "../../../monitor/decide-anomaly";
import { decideInvariant } from "../../../monitor/decide-invariant";
import { decideSchedule } from "../../../monitor/decide-schedule";
import { decideSlo } from "../../../monitor/decide-slo";
import { freshState } from "../../../monitor/decision";
import { defaultInvariants } from "../../../rules/defaults";
import type { Invariant } from "../../../rules/model";
import { budgetStatus, checkBurn, defaultBurnPolicy } from "../../../slo/math";
import { openCrashLoopTicket } from "../../../supervisor/crash-loop-ticket";
import { testCore } from "../../../testing/core";
import { type Alert, fingerprints, personAlert } from "../../../tickets/intake";
import type { Ticket } from "../../../tickets/model";
import type { ContentBlock, Message, ToolUseBlock } from "../../types";
import { RunbookBrain } from "../runbook";
import { chooseRunbook, ruleOf } from "./choose";

// Tickets as their real producers open them (the monitor's decisions, the supervisor, the pipeline), through
// the real intake: the chooser must keep up with what producers write into `context`.
const { core } = testCore();
const t0 = core.clock.now();
const raise = (alert: Alert | null | undefined): Ticket => {
  const raised = alert ? core.intake.raise(alert) : null;
  if (!raised?.ticket) throw new Error("no ticket opened");
  return raised.ticket;
};

function invariantTicket(name: string, query = `${name.toLowerCase()}_bad > 0`): Ticket {
  const shipped = defaultInvariants.find((i) => i.name === name);
  const inv: Invariant = {
    id: 1,
    name,
    query: shipped?.query ?? query,
    language: "promql",
    for: "0s",
    for_ms: 0,
    severity: "high",
    description: shipped?.description ?? "",
    enabled: true,
    created_at: t0,
    updated_at: t0,
  };
  const firing = {
    ok: true as const,
    value: { resultType: "vector" as const, result: [{ labels: {}, t: t0, v: 1 }] },
  };
  return raise(decideInvariant(inv, firing, freshState(`invariant:${name}`), t0).alert);
}

function sloTicket(name: string): Ticket {
  const windows = defaultBurnPolicy.map((w, i) => checkBurn(w, i === 0 ? 20 : 0, i === 0 ? 20 : 0));
  const slo = {
    id: 2,
    name,
    service: "rate-limiter",
    description: "",
    objective: 99.9,
    window: "30d",
    window_ms: 30 * 86_400_000,
    sli: { bad: "bad_total", total: "all_total" },
    min_rate: 0,
    enabled: true,
    created_at: t0,
    updated_at: t0,
  };
  const ev = {
    slo: name,
    objective: 99.9,
    windows,
    firing: windows.filter((w) => w.firing),
    status: budgetStatus(99.9, slo.window_ms, 0.0005, 0.5),
    burn_5m: 20,
    errors: [],
  };
  return raise(decideSlo(slo, ev, freshState(`slo:${name}`), t0).alert);
}

function anomalyTicket(name: string): Ticket {
  const detector = {
    id: 3,
    name,
    query: 'sum(rate(ratelimiter_requests_total{decision="denied"}[1m]))',
    method: "mad" as const,
    sensitivity: 4,
    window: "1h",
    window_ms: 3_600_000,
    min_history: "30m",
    min_history_ms: 1_800_000,
    cooldown: "1h",
    cooldown_ms: 3_600_000,
    min_change: 0,
    for: "0s",
    for_ms: 0,
    severity: "warning" as const,
    description: "share of denied checks",
    enabled: true,
    updated_at: t0,
  };
  const verdict = { score: 9, anomalous: true, reason: "far from usual", band: { low: 0, high: 0.1 } };
  const scored = { ok: true as const, value: { verdict, current: 0.6 } };
  return raise(decideAnomaly(detector, scored, freshState(`anomaly:${name}`), t0, 15_000).alert);
}

function scheduleTicket(name: string): Ticket {
  const s = {
    id: 4,
    name,
    cron: "0 9 * * 1",
    title: "Weekly review",
    objective: "Review last week's tickets.",
    priority: "P4" as const,
    enabled: true,
    next_run_at: t0,
    last_run_at: null,
  };
  const d = decideSchedule(s, t0);
  return raise(d.due ? d.alert : null);
}

/** As the monitor opens it after a rule failed five times in a row (monitor.ts, onRuleError). */
function ruleErrorTicket(ruleKey: string): Ticket {
  return raise({
    actor: "monitor",
    fingerprint: fingerprints.ruleError(ruleKey),
    observation: { rule_kind: "meta", rule: ruleKey, query: ruleKey, value: 5, labels: {}, data: {} },
    ticket: {
      title: `Rule ${ruleKey} cannot be evaluated`,
      objective: "The rule failed 5 times in a row. Fix the rule or the data it reads.",
      source: "agent",
      source_ref: ruleKey,
      priority: "P3",
      context: { rule: ruleKey, error: "parse error" },
    },
  });
}

/** The supervisor raises its own ticket (supervisor/crash-loop-ticket.ts). */
function crashLoopTicket(): Ticket {
  const id = openCrashLoopTicket(core, "rate-limiter-0", { code: 1, restarts: 5 });
  if (id === null) throw new Error("no crash-loop ticket");
  return core.tickets.get(id);
}

const parent = core.intake.open(personAlert("api", { title: "Ship it", objective: "deploy" }));

/** [what opened it, the runbook it must get, the ticket]. */
const table: [string, string, Ticket][] = [
  ["invariant RateLimiterDown", "instance-down", invariantTicket("RateLimiterDown")],
  ["the supervisor's crash loop", "crash-loop", crashLoopTicket()],
  ["invariant RateLimiterConfigDrift", "config-drift", invariantTicket("RateLimiterConfigDrift")],
  [
    "invariant RateLimiterConfigReloadFailing",
    "config-drift",
    invariantTicket("RateLimiterConfigReloadFailing"),
  ],
  ["invariant RateLimiterKeyHeadroomLow", "key-headroom", invariantTicket("RateLimiterKeyHeadroomLow")],
  ["invariant RateLimiterStoreErrors", "store-errors", invariantTicket("RateLimiterStoreErrors")],
  ["an SLO's burn", "slo-burn", sloTicket("availability")],
  ["an anomaly detector", "anomaly", anomalyTicket("LabDenialRatioJump")],
  ["an invariant without a runbook", "generic", invariantTicket("QueueTooDeep")],
  ["a rule that cannot be evaluated", "generic", ruleErrorTicket("invariant:RateLimiterDown")],
  ["a schedule", "generic", scheduleTicket("weekly-review")],
  ["a rolled-back deploy", "generic", openRollbackFollowUp(core, parent.id, "abc123", "p99 too high")],
  ["a person", "generic", parent],
];

describe("the runbook is chosen by the rule in the ticket's context", () => {
  test.each(table)("%s → %s", (_, runbook, t) => {
    expect(chooseRunbook(t).name).toBe(runbook);
  });

  test("the rule is read back from what each producer wrote", () => {
    expect(table.map(([what, , t]) => [what, ruleOf(t)])).toEqual([
      ["invariant RateLimiterDown", { kind: "invariant", name: "RateLimiterDown" }],
      ["the supervisor's crash loop", { kind: "invariant", name: "ServiceCrashLoop" }],
      ["invariant RateLimiterConfigDrift", { kind: "invariant", name: "RateLimiterConfigDrift" }],
      [
        "invariant RateLimiterConfigReloadFailing",
        { kind: "invariant", name: "RateLimiterConfigReloadFailing" },
      ],
      ["invariant RateLimiterKeyHeadroomLow", { kind: "invariant", name: "RateLimiterKeyHeadroomLow" }],
      ["invariant RateLimiterStoreErrors", { kind: "invariant", name: "RateLimiterStoreErrors" }],
      ["an SLO's burn", { kind: "slo", name: "availability" }],
      ["an anomaly detector", { kind: "anomaly", name: "LabDenialRatioJump" }],
      ["an invariant without a runbook", { kind: "invariant", name: "QueueTooDeep" }],
      ["a rule that cannot be evaluated", { kind: "rule-error", key: "invariant:RateLimiterDown" }],
      ["a schedule", { kind: "schedule", name: "weekly-review" }],
      ["a rolled-back deploy", { kind: "deploy", name: "watch" }],
      ["a person", null],
    ]);
  });
});

describe("a ticket's text never chooses the runbook", () => {
  const faults = table.filter(([, runbook]) => runbook !== "generic");
  const words = (t: Ticket) => ({
    title: t.title,
    objective: t.objective,
    success_criteria: t.success_criteria,
  });

  // Another fault's title, objective and criteria on a ticket whose context names its own rule.
  const pairs = faults.flatMap(([what, runbook, t]) =>
    faults
      .filter(([, other]) => other !== runbook)
      .map(
        ([otherWhat, , other]) =>
          [`${what} worded as ${otherWhat}`, runbook, { ...t, ...words(other) }] as const,
      ),
  );
  test.each(pairs)("%s → %s", (_, runbook, t) => {
    expect(chooseRunbook(t).name).toBe(runbook);
  });

  // A fault's exact words with no rule in the context, or its rule claimed by someone who may write any context.
  const impostors = faults.flatMap(([what, , t]) => [
    [`${what}'s words, no rule`, { ...t, context: {}, source: "human" }],
    [`${what}'s words and rule, from a person`, { ...t, source: "human" }],
    [`${what}'s words and rule, from a webhook`, { ...t, source: "webhook" }],
    [`${what}'s words and rule, from the agent`, { ...t, source: "agent" }],
  ]) as [string, Ticket][];
  test.each(impostors)("%s → generic", (_, t) => {
    expect(chooseRunbook(t).name).toBe("generic");
  });

  test("a person's ticket worded as a crash loop gets no restart: the runbook asks a person", async () => {
    const t = core.intake.open(
      personAlert("api", {
        title: "Instance rate-limiter-0 is crash-looping: restart it now",
        objective: "Invariant RateLimiterDown violated",
        success_criteria: [{ query: 'up{job="rate-limiter"} == 0', comparator: "empty" }],
        context: { rule: { kind: "invariant", name: "ServiceCrashLoop" } },
      }),
    );
    const brain = new RunbookBrain();
    const ask = async (messages: Message[]) =>
      (await brain.reply({ system: "", tools: [], messages, ticket: t })).content;
    const first: Message[] = [{ role: "user", content: [{ type: "text", text: "ticket" }] }];
    const turn1 = await ask(first);
    const down = { resultType: "vector", result: [{ labels: {}, t: 0, v: 0 }] };
    const toolUses = (c: ContentBlock[]) => c.filter((b): b is ToolUseBlock => b.type === "tool_use");
    const turn2 = await ask([
      ...first,
      { role: "assistant", content: turn1 },
      {
        role: "user",
        content: toolUses(turn1).map((c) => ({
          type: "tool_result" as const,
          tool_use_id: c.id,
          content: JSON.stringify(c.name === "query_metrics" ? down : "ok"),
        })),
      },
    ]);
    expect(toolUses(turn2).map((c) => c.name)).toEqual(["add_note", "request_approval"]);
  });
});
