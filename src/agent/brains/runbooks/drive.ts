import type { Ticket } from "../../../tickets/model";
import type { ContentBlock, Message } from "../../types";
import { answerFromMeasures, measureAsked } from "./answer";
import { firstResult, readConversation } from "./conversation";
import { criteriaHold, escalate, finish, giveUp, investigate } from "./steps";
import type { Runbook } from "./types";

/**
 * The next turn of `runbook` on ticket `t`: a pure function of the conversation so far. Every runbook starts
 * with an investigation and finishes at once if the criteria already hold; a person's denial ends it. A ticket
 * without criteria is answered from what it asks to be measured, or handed to a person (answer.ts).
 */
export function nextTurn(runbook: Runbook, t: Ticket, messages: Message[]): ContentBlock[] {
  const c = readConversation(messages);
  // No criteria, no fix to verify: measure what the ticket asks and answer it, or hand it to a person.
  if (t.success_criteria.length === 0) {
    if (!c.last) return measureAsked(t, c.n);
    if (c.lastNames.includes("service_status")) return answerFromMeasures(t, c, c.last);
  }
  if (!c.last) return investigate(t, c.n);
  if (c.lastNames.includes("query_metrics") || c.lastNames.includes("service_status")) {
    const { hold, findings } = criteriaHold(t, c.last);
    if (hold) return finish(c.n, `The success criteria already hold:\n${findings.join("\n")}`);
    return runbook.onViolated(t, c, findings) ?? escalate(c, findings);
  }
  if (c.lastNames.includes("request_approval")) {
    const approvalId = c.last.calls.find((x) => x.name === "request_approval")?.id ?? "";
    const decision = c.last.results.get(approvalId)?.content ?? "";
    if (/"denied"/.test(decision))
      return giveUp(c.n, "A person denied the review request; leaving the ticket to them.");
    return investigate(t, c.n);
  }
  for (const [tool, reply] of Object.entries(runbook.after))
    if (c.lastNames.includes(tool)) return reply(t, c, firstResult(c.last));
  return investigate(t, c.n);
}
