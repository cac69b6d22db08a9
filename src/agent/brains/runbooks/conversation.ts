import type { ContentBlock, Message, ToolUseBlock } from "../../types";

/** A conversation as a runbook reads it: which tools it called, turn by turn, and what they answered. */

export interface ToolResult {
  content: string;
  is_error?: boolean;
}

export interface Turn {
  calls: ToolUseBlock[];
  results: Map<string, ToolResult>;
}

export interface Conversation {
  /** How many turns the runbook has taken: the next turn's number, which call ids carry. */
  n: number;
  last: Turn | undefined;
  /** Every tool called so far, in order. */
  names: string[];
  /** The tools called in the last turn. */
  lastNames: string[];
}

function turns(messages: Message[]): Turn[] {
  const out: Turn[] = [];
  for (const m of messages) {
    if (m.role === "assistant") {
      out.push({
        calls: m.content.filter((b): b is ToolUseBlock => b.type === "tool_use"),
        results: new Map(),
      });
    } else {
      for (const b of m.content) if (b.type === "tool_result") out.at(-1)?.results.set(b.tool_use_id, b);
    }
  }
  return out;
}

export function readConversation(messages: Message[]): Conversation {
  const history = turns(messages);
  const last = history.at(-1);
  return {
    n: history.length,
    last,
    names: history.flatMap((h) => h.calls.map((c) => c.name)),
    lastNames: last?.calls.map((c) => c.name) ?? [],
  };
}

/** The answer to the first call of a turn: each runbook action is a turn of one call. */
export const firstResult = (turn: Turn | undefined): ToolResult | undefined =>
  turn?.results.get(turn.calls[0]?.id ?? "");

/** A tool call whose id depends only on where it is in the conversation, so replies are deterministic. */
export const call = (
  turn: number,
  i: number,
  name: string,
  input: Record<string, unknown>,
): ToolUseBlock => ({
  type: "tool_use",
  id: `rb_${turn}_${i}`,
  name,
  input,
});

export const say = (text: string): ContentBlock => ({ type: "text", text });
