import { type BudgetLimits, overBudget, type Spent } from "./budget";
import { unansweredToolCalls } from "./conversation";
import type { Message, ToolOutcome, ToolUseBlock } from "./types";

/**
 * The agent's turn loop as decisions over data: what to do next given the conversation and what the ticket
 * has spent, and how an answered batch of tool calls ends the attempt (or not). The worker does the I/O —
 * asking the brain, running tools, writing events — between these.
 */

export type NextAction =
  /** The budget is spent: the ticket fails with this reason. */
  | { kind: "stop"; reason: string }
  /** No call is waiting: ask the brain for the next turn. */
  | { kind: "think" }
  /** The brain's last turn left these calls unanswered (now, or before a pause or crash): run them. */
  | { kind: "act"; calls: ToolUseBlock[] };

export function nextAction(messages: Message[], spent: Spent, limits: BudgetLimits): NextAction {
  const calls = unansweredToolCalls(messages);
  if (calls.length > 0) return { kind: "act", calls };
  const exhausted = overBudget(spent, limits);
  return exhausted ? { kind: "stop", reason: exhausted } : { kind: "think" };
}

/** After a brain turn: its tool calls, or a nudge when it answered in prose only. */
export function afterReply(
  messages: Message[],
): { kind: "act"; calls: ToolUseBlock[] } | { kind: "nudge"; text: string } {
  const calls = unansweredToolCalls(messages);
  return calls.length > 0
    ? { kind: "act", calls }
    : { kind: "nudge", text: "Continue: use the tools, and end with finish or give_up." };
}

export type AttemptEnd =
  | { kind: "finish"; summary: string }
  | { kind: "answer"; findings: string }
  | { kind: "needs_human"; reason: string }
  | { kind: "give_up"; reason: string }
  | { kind: "await_approval"; action: string; reason: string };

/**
 * How a batch of answered calls ends the attempt: the last control outcome wins (finish, answer, a hand-over
 * to a person, give up, or a request for a person's approval); none means the loop goes on. Calls waiting for approval get no result
 * now: the person's decision answers them.
 */
export function settle<O extends { call: ToolUseBlock; outcome: ToolOutcome }>(
  outcomes: readonly O[],
): { answered: O[]; end: AttemptEnd | null } {
  let end: AttemptEnd | null = null;
  const answered: O[] = [];
  for (const o of outcomes) {
    const { call, outcome } = o;
    if (outcome.control === "finish") end = { kind: "finish", summary: String(call.input.summary ?? "") };
    else if (outcome.control === "give_up")
      end = { kind: "give_up", reason: String(call.input.reason ?? "") };
    else if (outcome.control === "answer")
      end = { kind: "answer", findings: String(call.input.findings ?? "") };
    else if (outcome.control === "needs_human")
      end = { kind: "needs_human", reason: String(call.input.reason ?? "") };
    else if (outcome.control === "await_approval") {
      end = {
        kind: "await_approval",
        action: outcome.approval?.action ?? String(call.input.action ?? "action"),
        reason: outcome.approval?.reason ?? String(call.input.reason ?? ""),
      };
      continue;
    }
    answered.push(o);
  }
  return { answered, end };
}
