import { z } from "zod";
import { fingerprints } from "../../../tickets/intake";
import type { Ticket } from "../../../tickets/model";
import { anomaly } from "./anomaly";
import { configDrift } from "./config-drift";
import { crashLoop } from "./crash-loop";
import { generic } from "./generic";
import { instanceDown } from "./instance-down";
import { keyHeadroom } from "./key-headroom";
import { sloBurn } from "./slo-burn";
import { storeErrors } from "./store-errors";
import type { Runbook } from "./types";

/** The rule that opened a ticket, as its producer wrote it into the ticket's context. */
export type RuleRef =
  | { kind: "invariant" | "slo" | "anomaly"; name: string }
  /** The monitor's own rule that cannot be evaluated (`context.rule` is the rule's key). */
  | { kind: "rule-error"; key: string }
  | { kind: "schedule"; name: string }
  /** A deploy the pipeline rolled back (`context.rule` names the stage). */
  | { kind: "deploy"; name: string };

const NamedRule = z.object({ kind: z.string(), name: z.string() });
const ScheduleRef = z.object({ name: z.string() });

/**
 * Which rule opened `t`, or null for a ticket no rule opened. The ticket's source must agree with the rule's
 * kind: only the monitor and the supervisor open invariant, SLO, anomaly and schedule tickets, while a person's
 * or a webhook's ticket may carry any context it likes — its text must never choose what the runbook does.
 */
export function ruleOf(t: Ticket): RuleRef | null {
  const rule = t.context.rule;
  if (t.source === "schedule") {
    const s = ScheduleRef.safeParse(t.context.schedule);
    return s.success ? { kind: "schedule", name: s.data.name } : null;
  }
  if (typeof rule === "string")
    return t.source === "agent" && t.fingerprint === fingerprints.ruleError(rule)
      ? { kind: "rule-error", key: rule }
      : null;
  const named = NamedRule.safeParse(rule);
  if (!named.success) return null;
  const { kind, name } = named.data;
  if ((kind === "invariant" || kind === "slo" || kind === "anomaly") && t.source === kind)
    return { kind, name };
  if (kind === "deploy" && t.source === "agent") return { kind, name };
  return null;
}

/** Invariants with a known fix, by name; any other invariant is the generic runbook's. */
const byInvariant = new Map<string, Runbook>([
  ["RateLimiterDown", instanceDown],
  ["ServiceCrashLoop", crashLoop],
  ["RateLimiterConfigDrift", configDrift],
  ["RateLimiterConfigReloadFailing", configDrift],
  ["RateLimiterKeyHeadroomLow", keyHeadroom],
  ["RateLimiterStoreErrors", storeErrors],
]);

/** One runbook per fault, chosen by the rule in the ticket's context, never by its title or its criteria. */
export function chooseRunbook(t: Ticket): Runbook {
  const rule = ruleOf(t);
  switch (rule?.kind) {
    case "invariant":
      return byInvariant.get(rule.name) ?? generic;
    case "slo":
      return sloBurn;
    case "anomaly":
      return anomaly;
    default:
      // Rule errors, schedules and rollback follow-ups have no fix known offline; nor do tickets no rule opened.
      return generic;
  }
}
