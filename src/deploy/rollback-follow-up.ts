import type { Core } from "../core";
import type { Ticket } from "../tickets/model";

/** The rule a rollback follow-up names in its context: what the runbook brain chooses its runbook by. */
export const rollbackFollowUpRule = { kind: "deploy", name: "watch" } as const;

/**
 * A deploy the watch rolled back is a problem of its own: a ticket, child of the deploy's ticket, to find
 * out why the version failed once live. Every rollback is worth one, so it has no fingerprint to merge on.
 */
export function openRollbackFollowUp(core: Core, ticketId: number, commit: string, problem: string): Ticket {
  return core.intake.open({
    actor: "pipeline",
    observation: {
      rule_kind: rollbackFollowUpRule.kind,
      rule: rollbackFollowUpRule.name,
      query: "",
      value: null,
      labels: {},
      data: { commit, ticket: ticketId, problem },
    },
    ticket: {
      title: `Deploy of ${commit} was rolled back`,
      objective: `The deploy for ticket #${ticketId} was rolled back: ${problem}. Find out why and fix it.`,
      source: "agent",
      priority: "P2",
      context: { rule: { ...rollbackFollowUpRule }, deploy: { commit, ticket: ticketId, problem } },
    },
    parentId: ticketId,
  });
}
