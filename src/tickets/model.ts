import { z } from "zod";

export const ticketStatuses = [
  "pending",
  "in_progress",
  "awaiting_approval",
  /** Handed to a person with a reason (no fix the harness can verify); waits for them. */
  "needs_human",
  "verifying",
  /** Fixed, and verified by the monitor against the ticket's success criteria. Never without criteria. */
  "completed",
  /** Findings reported, no fix claimed: final, and never counted as verified. */
  "answered",
  "failed",
  "cancelled",
] as const;
export const TicketStatus = z.enum(ticketStatuses);
export type TicketStatus = z.infer<typeof TicketStatus>;

export const ticketSources = [
  "slo",
  "invariant",
  "anomaly",
  "schedule",
  "human",
  "webhook",
  "agent",
] as const;
export const TicketSource = z.enum(ticketSources);
export type TicketSource = z.infer<typeof TicketSource>;

export const Priority = z.enum(["P1", "P2", "P3", "P4"]);
export type Priority = z.infer<typeof Priority>;

export const Comparator = z.enum(["<", "<=", ">", ">=", "==", "!=", "empty", "nonempty"]);
export type Comparator = z.infer<typeof Comparator>;

/** A PromQL check that must hold for `for` seconds before the ticket counts as fixed. */
export const SuccessCriterion = z
  .object({
    name: z.string().min(1).max(200).optional(),
    query: z.string().min(1).max(4000),
    /** Absent means PromQL; LogQL criteria are metric queries over the logs. */
    language: z.enum(["promql", "logql"]).optional(),
    comparator: Comparator,
    threshold: z.number().optional(),
    for_seconds: z.number().int().min(0).max(86_400).default(0),
  })
  .refine((c) => c.comparator === "empty" || c.comparator === "nonempty" || c.threshold !== undefined, {
    message: "threshold is required unless comparator is empty/nonempty",
    path: ["threshold"],
  });
export type SuccessCriterion = z.infer<typeof SuccessCriterion>;

export const NewTicket = z.object({
  title: z.string().trim().min(1, "title must not be empty").max(300),
  objective: z.string().trim().min(1, "objective must not be empty").max(10_000),
  success_criteria: z.array(SuccessCriterion).max(20).default([]),
  context: z.record(z.string(), z.unknown()).default({}),
  source: TicketSource.default("human"),
  source_ref: z.string().max(500).optional(),
  fingerprint: z.string().max(500).optional(),
  priority: Priority.default("P3"),
  parent_id: z.number().int().positive().optional(),
  observation_id: z.number().int().positive().optional(),
});
export type NewTicket = z.input<typeof NewTicket>;

/**
 * What a person may say when opening a ticket (API, CLI, dashboard): strict, so a caller cannot set the
 * source, a fingerprint (and so take over the monitor's de-duplication), an observation or a parent.
 */
export const HumanTicket = z
  .object({
    title: NewTicket.shape.title,
    objective: NewTicket.shape.objective,
    priority: Priority.default("P3"),
    success_criteria: NewTicket.shape.success_criteria,
    context: NewTicket.shape.context,
  })
  .strict();
export type HumanTicket = z.input<typeof HumanTicket>;
export type NewTicketParsed = z.infer<typeof NewTicket>;

export interface Ticket {
  id: number;
  title: string;
  objective: string;
  success_criteria: SuccessCriterion[];
  context: Record<string, unknown>;
  source: TicketSource;
  source_ref: string | null;
  fingerprint: string | null;
  priority: Priority;
  status: TicketStatus;
  parent_id: number | null;
  observation_id: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  resolution: string | null;
}

export interface TicketEvent {
  id: number;
  ticket_id: number;
  seq: number;
  ts: number;
  kind: string;
  actor: string;
  data: Record<string, unknown>;
}

export const terminalStatuses: ReadonlySet<TicketStatus> = new Set([
  "completed",
  "answered",
  "failed",
  "cancelled",
]);

/** The statuses that wait for a person's decision. */
export const waitingStatuses: ReadonlySet<TicketStatus> = new Set(["awaiting_approval", "needs_human"]);
export const isTerminal = (s: TicketStatus) => terminalStatuses.has(s);

export const priorityRank = (p: Priority): number => Number(p.slice(1));
export const priorityFromRank = (n: number): Priority => Priority.parse(`P${n}`);
