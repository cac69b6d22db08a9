import { Cron } from "croner";
import type { Core } from "../core";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import { fingerprints } from "../tickets/intake";
import { evaluateAnomaly } from "./anomalies";
import { baselineRaiser, type RevisionAt } from "./baseline-capture";
import { evaluateInvariant } from "./invariants";
import { runDueSchedules } from "./schedules";
import { evaluateSloRule } from "./slos";
import { verifyTicket } from "./verify";

export interface MonitorDeps {
  core: Core;
  metrics: MetricsBackend;
  /** For LogQL invariants and criteria; without it they report an error. */
  logs?: LogsBackend | null;
  intervalMs: number;
  verificationTimeoutMs: number;
  maxAttempts: number;
  log: (msg: string, data?: Record<string, unknown>) => void;
  /** The service workspace's commit at a moment, for a new ticket's last known good revision. */
  revisionAt?: RevisionAt;
}

/** Consecutive rule errors before the harness opens a ticket about its own broken rule. */
const ruleErrorTicketAfter = 5;

export type Monitor = ReturnType<typeof createMonitor>;

export function createMonitor(deps: MonitorDeps) {
  const { core, metrics } = deps;
  const states = core.ruleStates;
  let cron: Cron | null = null;
  let ticks = 0;
  let lastTickAt: number | null = null;
  const raise = baselineRaiser(core, { metrics, logs: deps.logs, revisionAt: deps.revisionAt });

  function onRuleError(ruleKey: string, message: string, consecutive: number): void {
    deps.log("rule evaluation failed", { rule: ruleKey, error: message, consecutive });
    if (consecutive !== ruleErrorTicketAfter) return;
    core.intake.raise({
      actor: "monitor",
      fingerprint: fingerprints.ruleError(ruleKey),
      observation: {
        rule_kind: "meta",
        rule: ruleKey,
        query: ruleKey,
        value: consecutive,
        labels: {},
        data: { error: message },
      },
      ticket: {
        title: `Rule ${ruleKey} cannot be evaluated`,
        objective: `The rule failed ${consecutive} times in a row (${message}). Fix the rule or the data it reads.`,
        source: "agent",
        source_ref: ruleKey,
        priority: "P3",
        context: { rule: ruleKey, error: message },
      },
    });
  }

  /** The evaluation in progress, so a stop can wait for it instead of closing the database under it. */
  let inFlight: Promise<void> | null = null;

  function tick(): Promise<void> {
    const run = evaluate().finally(() => {
      if (inFlight === run) inFlight = null;
    });
    inFlight = run;
    return run;
  }

  async function evaluate(): Promise<void> {
    const now = core.clock.now();
    const expired = core.tickets.expireLeases({ maxAttempts: deps.maxAttempts });
    if (expired.length) deps.log("leases expired", { tickets: expired });
    for (const inv of core.rules.listInvariants()) {
      if (!inv.enabled) continue;
      await evaluateInvariant(core, metrics, states, inv, now, onRuleError, deps.logs, raise);
    }
    for (const slo of core.rules.listSlos()) {
      if (!slo.enabled) continue;
      await evaluateSloRule(core, metrics, states, slo, now, onRuleError, raise);
    }
    for (const a of core.anomalies.list()) {
      if (a.enabled)
        await evaluateAnomaly(core, metrics, states, a, now, deps.intervalMs, onRuleError, raise);
    }
    const scheduled = runDueSchedules(core, now);
    if (scheduled.length) deps.log("scheduled tickets opened", { tickets: scheduled });
    for (const t of core.tickets.list({ status: ["verifying"], limit: 100 }).items) {
      const outcome = await verifyTicket(
        core,
        metrics,
        states,
        t,
        now,
        {
          timeoutMs: deps.verificationTimeoutMs,
          maxAttempts: deps.maxAttempts,
        },
        deps.logs,
      );
      if (outcome !== "waiting") deps.log("verification", { ticket: t.id, outcome });
    }
    ticks++;
    lastTickAt = now;
  }

  return {
    tick,
    states,
    start(): void {
      const seconds = Math.max(1, Math.round(deps.intervalMs / 1000));
      // protect: a slow evaluation never overlaps the next one.
      cron = new Cron(
        "* * * * * *",
        { interval: seconds, protect: true, catch: (e) => deps.log("tick failed", { error: String(e) }) },
        tick,
      );
      void tick();
    },
    /** Stops scheduling; the returned promise settles when the evaluation in progress (if any) has ended. */
    async stop(): Promise<void> {
      cron?.stop();
      cron = null;
      await inFlight?.catch(() => {});
    },
    status() {
      return { running: cron !== null, ticks, last_tick_at: lastTickAt };
    },
  };
}
