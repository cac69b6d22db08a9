import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import { parseOrThrow } from "../lib/parse";
import type { NewObservation, Observation, ObservationRepo } from "../rules/observations";
import { HumanTicket, type NewTicket, type Ticket } from "./model";
import type { TicketRepo } from "./repo";

/**
 * The one way a ticket comes to exist. Every producer — the monitor's rules and rule errors, the supervisor's
 * crash loops, webhooks, the deploy pipeline, the agent's `create_ticket`, people through the API, the CLI and
 * the dashboard — describes what it saw as an `Alert` and calls `raise`. The intake decides, in one IMMEDIATE
 * transaction, whether that opens a ticket (with its observation, and a link to the last ticket of the same
 * problem), updates the open one, or is damped; so a crash can never leave an observation without its ticket,
 * and two producers can never open two tickets for one fingerprint.
 */

/** What a producer says about the ticket to open; identity (fingerprint, observation, links) is the intake's. */
export type TicketDraft = Omit<NewTicket, "fingerprint" | "observation_id" | "parent_id">;

/** What the producer saw, stored as the new ticket's observation (`observed_at` defaults to now). */
export type AlertObservation = Omit<NewObservation, "observed_at"> & { observed_at?: number };

export interface Alert {
  /** Who raises it; the actor of every event the intake writes. */
  actor: string;
  observation: AlertObservation;
  ticket: TicketDraft;
  /**
   * The problem's identity (built by `fingerprints`): an open ticket with it is updated instead of a second one
   * opened. Only producers inside the harness have one; a person's or the agent's ticket never does.
   */
  fingerprint?: string;
  /** The event to add to the open ticket of the fingerprint, if any (`still_firing`, …); none: leave it be. */
  whileOpen?: { event: string; data: Record<string, unknown> } | null;
  /** A new ticket links to the last ticket of the same fingerprint (`parent_id`, `context.recurrence_of`). */
  linkRecurrence?: boolean;
  /** Damped (the rule flaps): no ticket of its own; the open ticket of this fingerprint stands for it. */
  dampedInto?: string;
  /** An explicit parent: the ticket a follow-up or a sub-task belongs to. */
  parentId?: number;
}

export type Raised =
  | { action: "created"; ticket: Ticket; observation: Observation }
  | { action: "updated"; ticket: Ticket; event: string | null }
  | { action: "damped"; ticket: Ticket | null };

/** Every fingerprint format, in one place: changing one would split an open problem's history in two. */
export const fingerprints = {
  rule: (kind: "slo" | "invariant" | "anomaly", name: string) => `${kind}:${name}`,
  flapping: (kind: "invariant", name: string) => `${kind}:${name}:flapping`,
  ruleError: (ruleKey: string) => `rule-error:${ruleKey}`,
  crashLoop: (instance: string) => `supervisor:crash_loop:${instance}`,
  schedule: (name: string) => `schedule:${name}`,
  webhook: (source: string, key: string) => `webhook:${source}:${key}`,
  alertGroup: (groupKey: string) => `webhook:alertmanager:${groupKey}`,
} as const;

/**
 * A person's ticket (`actor`: api, cli, dashboard): checked against the strict schema, so unknown keys are
 * refused by name; what they wrote is the observation.
 */
export function personAlert(actor: string, input: unknown): Alert {
  const t = parseOrThrow(HumanTicket, input, "ticket");
  return {
    actor,
    observation: {
      rule_kind: "human",
      rule: actor,
      query: "",
      value: null,
      labels: {},
      data: { title: t.title, priority: t.priority },
    },
    ticket: { ...t, source: "human" },
  };
}

export interface IntakeDeps {
  db: Database;
  clock: Clock;
  tickets: TicketRepo;
  observations: ObservationRepo;
}

export type Intake = ReturnType<typeof createIntake>;

export function createIntake(deps: IntakeDeps) {
  const { tickets, observations } = deps;

  function raiseTx(alert: Alert): Raised {
    const fp = alert.fingerprint;
    if (fp !== undefined) {
      const open = tickets.findOpenByFingerprint(fp);
      if (open) {
        const w = alert.whileOpen;
        if (w) tickets.addEvent(open.id, w.event, alert.actor, w.data);
        return { action: "updated", ticket: open, event: w?.event ?? null };
      }
    }
    if (alert.dampedInto !== undefined)
      return { action: "damped", ticket: tickets.findOpenByFingerprint(alert.dampedInto) };
    const previous = alert.linkRecurrence && fp !== undefined ? tickets.lastByFingerprint(fp) : null;
    const { observed_at, ...seen } = alert.observation;
    const observation = observations.record({ ...seen, observed_at: observed_at ?? deps.clock.now() });
    const draft = alert.ticket;
    const given = draft.context?.observation;
    const parentId = alert.parentId ?? previous?.id;
    const ticket = tickets.create(
      {
        ...draft,
        context: {
          ...(draft.context ?? {}),
          observation: { id: observation.id, ...(isRecord(given) ? given : {}) },
          ...(previous ? { recurrence_of: previous.id } : {}),
        },
        observation_id: observation.id,
        ...(fp !== undefined ? { fingerprint: fp } : {}),
        ...(parentId !== undefined ? { parent_id: parentId } : {}),
      },
      alert.actor,
    );
    return { action: "created", ticket, observation };
  }

  return {
    /** Opens, updates or damps, all in one transaction (nested in the caller's when it has one). */
    raise(alert: Alert): Raised {
      return deps.db.transaction(() => raiseTx(alert)).immediate();
    },
    /** A ticket with no identity to de-duplicate on (a person's, the agent's, a follow-up): always opened. */
    open(alert: Omit<Alert, "fingerprint" | "whileOpen" | "linkRecurrence" | "dampedInto">): Ticket {
      const raised = deps.db.transaction(() => raiseTx(alert)).immediate();
      if (raised.action !== "created")
        throw new Error("intake: an alert without a fingerprint always opens a ticket");
      return raised.ticket;
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
