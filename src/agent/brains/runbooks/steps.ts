import { checkCriterion } from "../../../monitor/criteria";
import type { QueryResult } from "../../../telemetry/types";
import type { Ticket } from "../../../tickets/model";
import type { ContentBlock } from "../../types";
import { type Conversation, call, say, type Turn } from "./conversation";

/** Steps every runbook shares. */

/** Reads every success criterion and the service's state before anything is changed. */
export function investigate(t: Ticket, turn: number): ContentBlock[] {
  return [
    say("Checking the success criteria and the service before acting."),
    ...t.success_criteria.map((c, i) => call(turn, i, "query_metrics", { query: c.query })),
    call(turn, t.success_criteria.length, "service_status", {}),
  ];
}

/** Whether every criterion holds, from the investigation's answers, with one finding per criterion. */
export function criteriaHold(t: Ticket, turn: Turn): { hold: boolean; findings: string[] } {
  const findings: string[] = [];
  let hold = true;
  t.success_criteria.forEach((c, i) => {
    const r = turn.results.get(turn.calls[i]?.id ?? "");
    if (!r || r.is_error) {
      hold = false;
      findings.push(`${c.query}: query failed`);
      return;
    }
    const check = checkCriterion(c, JSON.parse(r.content) as QueryResult);
    if (!check.pass) hold = false;
    findings.push(
      `${c.query} ${c.comparator} ${c.threshold ?? ""} → value ${check.value} (${check.pass ? "ok" : "violated"})`,
    );
  });
  return { hold, findings };
}

export const finish = (turn: number, summary: string): ContentBlock[] => [
  call(turn, 0, "finish", { summary }),
];

export const giveUp = (turn: number, reason: string): ContentBlock[] => [
  call(turn, 0, "give_up", { reason }),
];

/** What a runbook does when its fix is not enough or does not apply: note the findings and ask a person. */
export function escalate(c: Conversation, findings: string[]): ContentBlock[] {
  if (!c.names.includes("request_approval")) {
    return [
      call(c.n, 0, "add_note", { text: `Runbook findings:\n${findings.join("\n")}` }),
      call(c.n, 1, "request_approval", {
        action: "human_review",
        reason: "No runbook covers this ticket; a person or a model should decide the fix.",
      }),
    ];
  }
  return giveUp(c.n, `No runbook fixes this and the criteria still fail:\n${findings.join("\n")}`);
}

export const restartedSummary = "Restarted the service's instances; the monitor will verify they are up.";
