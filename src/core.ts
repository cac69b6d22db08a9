import type { Database } from "bun:sqlite";
import { createDeployRepo } from "./deploy/deploy-repo";
import type { Clock } from "./lib/clock";
import { Redactor } from "./lib/redact";
import { createNotificationRepo } from "./notify/repo";
import { createAnomalyRepo } from "./rules/anomalies";
import { createObservationRepo } from "./rules/observations";
import { createRuleRepo } from "./rules/repo";
import { createRuleStateStore } from "./rules/rule-state-store";
import { createScheduleRepo } from "./rules/schedules";
import { createApprovalService } from "./tickets/approvals";
import { createChangeLog } from "./tickets/changes";
import { createIntake } from "./tickets/intake";
import { createTicketRepo } from "./tickets/repo";
import { createDeliveryRepo } from "./webhooks/deliveries";

/**
 * The stores every role shares; roles couple only through these tables. Only repositories are exposed, never
 * the database: SQL lives in the repositories, and `transaction` is how a caller makes several writes one.
 */
export function createCore(db: Database, clock: Clock, secrets: (string | undefined)[] = []) {
  const redactor = new Redactor(secrets);
  const tickets = createTicketRepo(db, clock, redactor);
  const observations = createObservationRepo(db, redactor);
  // Tickets are read and moved through the repository, but created only by the intake (intake.ts).
  const { create: _create, ...ticketReads } = tickets;
  return {
    clock,
    redactor,
    tickets: ticketReads,
    intake: createIntake({ db, clock, tickets, observations }),
    approvals: createApprovalService(db, tickets, clock, redactor),
    rules: createRuleRepo(db, clock),
    anomalies: createAnomalyRepo(db, () => clock.now()),
    schedules: createScheduleRepo(db, () => clock.now()),
    observations,
    ruleStates: createRuleStateStore(db),
    deploys: createDeployRepo(db, clock, redactor),
    changes: createChangeLog(db),
    deliveries: createDeliveryRepo(db, clock, redactor),
    /** Outbound notifications: the outbox and each ticket's delivery log (src/notify/). */
    notifications: createNotificationRepo(db, clock, redactor),
    /** Runs `fn` in one IMMEDIATE transaction (a savepoint inside another). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
