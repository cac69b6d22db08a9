import type { Database } from "bun:sqlite";
import type { Clock } from "./lib/clock";
import { Redactor } from "./lib/redact";
import { createAnomalyRepo } from "./rules/anomalies";
import { createObservationRepo } from "./rules/observations";
import { createRuleRepo } from "./rules/repo";
import { createScheduleRepo } from "./rules/schedules";
import { createApprovalService } from "./tickets/approvals";
import { createTicketRepo } from "./tickets/repo";

/** The stores every role shares; roles couple only through these tables. */
export function createCore(db: Database, clock: Clock, secrets: (string | undefined)[] = []) {
  const redactor = new Redactor(secrets);
  const tickets = createTicketRepo(db, clock, redactor);
  return {
    db,
    clock,
    redactor,
    tickets,
    approvals: createApprovalService(db, tickets, clock, redactor),
    rules: createRuleRepo(db, clock),
    anomalies: createAnomalyRepo(db, () => clock.now()),
    schedules: createScheduleRepo(db, () => clock.now()),
    observations: createObservationRepo(db, redactor),
  };
}

export type Core = ReturnType<typeof createCore>;
