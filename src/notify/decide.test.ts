import { describe, expect, test } from "bun:test";
import type { TicketEvent } from "../tickets/model";
import { afterFailure, notifyEventOf, plan, retryDelayMs } from "./decide";
import { defaultEvents } from "./model";

let seq = 0;
const ev = (kind: string, data: Record<string, unknown> = {}, ts = 1_000): TicketEvent => {
  seq++;
  return { id: seq, ticket_id: 1, seq, ts, kind, actor: "w1", data };
};
const move = (to: string, extra: Record<string, unknown> = {}) => ev("status_changed", { to, ...extra });
const claimed = move("in_progress", { from: "pending", reason: "claimed" });

describe("notifyEventOf", () => {
  test.each([
    ["a P1 opened", ev("created", { priority: "P1" }), [], "p1_opened"],
    ["a P2 opened", ev("created", { priority: "P2" }), [], null],
    ["waiting for approval", move("awaiting_approval"), [], "awaiting_approval"],
    ["handed to a person", move("needs_human"), [], "needs_human"],
    ["completed", move("completed"), [], "completed"],
    ["answered", move("answered"), [], "completed"],
    ["cancelled", move("cancelled"), [], "completed"],
    ["back to the queue", move("pending"), [], null],
    ["verifying", move("verifying"), [], null],
    ["a note", ev("note", { text: "failed" }), [], null],
    ["the budget event itself (its failure is told)", ev("budget_exhausted"), [], null],
    ["failed without a cause", move("failed"), [claimed], "failed"],
    ["failed after give_up", move("failed"), [claimed, ev("tool_result", { name: "give_up" })], "gave_up"],
    [
      "failed after the budget ran out",
      move("failed"),
      [claimed, ev("budget_exhausted")],
      "budget_exhausted",
    ],
    [
      "failed in a later attempt than the one that gave up",
      move("failed"),
      [claimed, ev("tool_result", { name: "give_up" }), move("pending"), claimed],
      "failed",
    ],
  ] as const)("%s", (_name, event, earlier, want) => {
    expect(notifyEventOf(event, earlier)).toBe(want);
  });
});

describe("plan", () => {
  const targets = [
    { name: "slack", events: defaultEvents.slack },
    { name: "pd", events: defaultEvents.pagerduty },
    { name: "approvals-only", events: ["awaiting_approval"] as const },
  ];
  const base = { earlier: [], now: 2_000, maxAgeMs: 3_600_000, targets, told: new Set<string>() };

  test.each([
    ["needs_human reaches the targets that listen for it", move("needs_human"), {}, ["slack", "pd"]],
    ["approval reaches all three", move("awaiting_approval"), {}, ["slack", "pd", "approvals-only"]],
    ["completed reaches no one never told", move("completed"), {}, []],
    [
      "completed reaches the PagerDuty told before",
      move("completed"),
      { told: new Set(["pd", "slack"]) },
      ["pd"],
    ],
    ["an event older than max_age reaches no one", move("needs_human"), { now: 10_000_000 }, []],
    ["a non-event reaches no one", ev("note"), {}, []],
  ] as const)("%s", (_name, event, over, want) => {
    expect(plan({ ...base, ...over, event }).map((p) => p.target)).toEqual([...want]);
  });
});

describe("retries", () => {
  test("backoff grows by three from 5 s and stops at 10 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(retryDelayMs)).toEqual([
      5_000, 15_000, 45_000, 135_000, 405_000, 600_000, 600_000,
    ]);
  });

  test.each([
    [1, true, 3, { status: "pending", next_at: 5_000 }],
    [3, true, 3, { status: "pending", next_at: 45_000 }],
    [4, true, 3, { status: "failed" }],
    [1, false, 3, { status: "failed" }],
    [1, true, 0, { status: "failed" }],
  ] as const)("attempt %i retryable=%p retries=%i", (attempt, retryable, retries, want) => {
    expect(afterFailure(attempt, retryable, retries, 0)).toEqual(want);
  });
});
