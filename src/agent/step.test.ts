import { describe, expect, test } from "bun:test";
import type { Spent } from "./budget";
import { afterReply, type NextAction, nextAction, settle } from "./step";
import type { Message, ToolOutcome, ToolUseBlock } from "./types";

const call = (id: string, name: string, input: Record<string, unknown> = {}): ToolUseBlock => ({
  type: "tool_use",
  id,
  name,
  input,
});
const asked = (...calls: ToolUseBlock[]): Message => ({ role: "assistant", content: calls });
const answered = (...ids: string[]): Message => ({
  role: "user",
  content: ids.map((id) => ({ type: "tool_result" as const, tool_use_id: id, content: "ok" })),
});
const spent = (over: Partial<Spent> = {}): Spent => ({ steps: 0, tokens: 0, costUsd: 0, wallMs: 0, ...over });
const limits = { maxSteps: 5, maxTokens: 1_000, maxWallMs: 60_000 };
const brief: Message = { role: "user", content: [{ type: "text", text: "ticket" }] };

describe("nextAction", () => {
  test.each<[string, Message[], Spent, NextAction["kind"]]>([
    ["a fresh conversation asks the brain", [brief], spent(), "think"],
    ["calls left unanswered are run first", [brief, asked(call("a", "query_metrics"))], spent(), "act"],
    [
      "answered calls hand the turn back to the brain",
      [brief, asked(call("a", "query_metrics")), answered("a")],
      spent(),
      "think",
    ],
    ["steps used up stop the ticket", [brief], spent({ steps: 5 }), "stop"],
    ["tokens used up stop the ticket", [brief], spent({ tokens: 1_000 }), "stop"],
    ["working time used up stops the ticket", [brief], spent({ wallMs: 60_000 }), "stop"],
    // A call the brain already made is answered even past the budget: the turn it belongs to was paid for.
    [
      "a pending call is answered even when the budget is spent",
      [brief, asked(call("a", "x"))],
      spent({ steps: 9 }),
      "act",
    ],
  ])("%s", (_name, messages, used, kind) => {
    expect(nextAction(messages, used, limits).kind).toBe(kind);
  });

  test("the stop names the limit reached", () => {
    expect(nextAction([brief], spent({ wallMs: 61_000 }), limits)).toEqual({
      kind: "stop",
      reason: "61000 ms of wall time (max 60000)",
    });
  });
});

test("a reply in prose only is nudged; a reply with calls is acted on", () => {
  expect(afterReply([brief, { role: "assistant", content: [{ type: "text", text: "thinking" }] }]).kind).toBe(
    "nudge",
  );
  expect(afterReply([brief, asked(call("a", "x"), call("b", "y"))])).toEqual({
    kind: "act",
    calls: [call("a", "x"), call("b", "y")],
  });
});

describe("settle", () => {
  const o = (c: ToolUseBlock, outcome: ToolOutcome) => ({ call: c, outcome });
  test("plain results go on; finish, give up and approval end the attempt", () => {
    expect(settle([o(call("a", "x"), { output: 1 })])).toEqual({
      answered: [o(call("a", "x"), { output: 1 })],
      end: null,
    });
    expect(
      settle([o(call("f", "finish", { summary: "fixed" }), { output: "ok", control: "finish" })]).end,
    ).toEqual({
      kind: "finish",
      summary: "fixed",
    });
    expect(
      settle([o(call("g", "give_up", { reason: "no access" }), { output: "", control: "give_up" })]).end,
    ).toEqual({
      kind: "give_up",
      reason: "no access",
    });
  });

  test("a call waiting for approval gets no result now; the approval's own action and reason are asked", () => {
    const waiting = o(call("d", "deploy"), {
      output: "",
      control: "await_approval",
      approval: { action: "deploy", reason: "120 changed lines" },
    });
    const plain = o(call("q", "query_metrics"), { output: [] });
    const r = settle([plain, waiting]);
    expect(r.answered).toEqual([plain]);
    expect(r.end).toEqual({ kind: "await_approval", action: "deploy", reason: "120 changed lines" });
  });
});

test("answer and needs_human end the attempt with the model's own words", () => {
  const o = (c: ToolUseBlock, outcome: ToolOutcome) => ({ call: c, outcome });
  expect(
    settle([o(call("a", "answer", { findings: "p99 4 ms" }), { output: "", control: "answer" })]).end,
  ).toEqual({
    kind: "answer",
    findings: "p99 4 ms",
  });
  expect(
    settle([o(call("h", "needs_human", { reason: "a decision" }), { output: "", control: "needs_human" })])
      .end,
  ).toEqual({ kind: "needs_human", reason: "a decision" });
});
