import { describe, expect, test } from "bun:test";
import type { TicketEvent } from "../tickets/model";
import { budgetFromEvents, overBudget, type Spent } from "./budget";

/** A history written as [ts in seconds, kind, actor, data]: what the ticket's events hold. */
type Line = [number, string, string, Record<string, unknown>?];
const history = (lines: Line[]): TicketEvent[] =>
  lines.map(([s, kind, actor, data], i) => ({
    id: i + 1,
    ticket_id: 1,
    seq: i + 1,
    ts: s * 1000,
    kind,
    actor,
    data: data ?? {},
  }));

const claimed = (s: number, worker: string): Line => [
  s,
  "status_changed",
  worker,
  { from: "pending", to: "in_progress", reason: "claimed" },
];
const turn = (s: number, worker: string, input = 0, output = 0, cost: number | null = null): Line => [
  s,
  "brain_turn",
  worker,
  { usage: { input_tokens: input, output_tokens: output }, cost_usd: cost },
];

describe("budgetFromEvents", () => {
  const cases: { name: string; lines: Line[]; now?: number; want: Spent }[] = [
    { name: "no history", lines: [], want: { steps: 0, tokens: 0, costUsd: 0, wallMs: 0 } },
    {
      name: "a ticket never claimed has spent nothing",
      lines: [[0, "created", "test"]],
      now: 500,
      want: { steps: 0, tokens: 0, costUsd: 0, wallMs: 0 },
    },
    {
      name: "steps, tokens and cost add up over attempts; a turn without a price costs nothing",
      lines: [
        claimed(0, "w1"),
        turn(10, "w1", 100, 20, 0.5),
        [10, "status_changed", "w1", { from: "in_progress", to: "pending", reason: "agent error: x" }],
        claimed(20, "w2"),
        turn(25, "w2", 30, 5),
      ],
      want: { steps: 2, tokens: 155, costUsd: 0.5, wallMs: 15_000 },
    },
    {
      name: "waiting for a person does not count: the attempt ends at its own last event",
      lines: [
        claimed(0, "w1"),
        turn(40, "w1"),
        [40, "approval_requested", "w1"],
        [40, "status_changed", "w1", { from: "in_progress", to: "awaiting_approval" }],
        [3640, "approved", "alice"],
        [3640, "status_changed", "alice", { from: "awaiting_approval", to: "pending" }],
        claimed(3700, "w1"),
        turn(3720, "w1"),
      ],
      want: { steps: 2, tokens: 0, costUsd: 0, wallMs: 60_000 },
    },
    {
      name: "a crashed attempt counts up to its last event, not up to the lease expiry",
      lines: [
        claimed(0, "dead"),
        turn(30, "dead"),
        [90, "status_changed", "system", { from: "in_progress", to: "pending", lease_expired: true }],
        claimed(100, "w2"),
        [105, "attempt_abandoned", "dead"], // the old worker noticed late: it is not the new attempt's time
        turn(110, "w2"),
      ],
      want: { steps: 2, tokens: 0, costUsd: 0, wallMs: 40_000 },
    },
    {
      name: "with now, the latest attempt is still running",
      lines: [claimed(0, "w1"), turn(10, "w1"), claimed(100, "w1"), [100, "agent_resumed", "w1"]],
      now: 130_000,
      want: { steps: 1, tokens: 0, costUsd: 0, wallMs: 40_000 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      expect(budgetFromEvents(history(c.lines), c.now)).toEqual(c.want);
    });
  }
});

describe("overBudget", () => {
  const spent = (p: Partial<Spent>): Spent => ({ steps: 0, tokens: 0, costUsd: 0, wallMs: 0, ...p });
  const cases: { spent: Spent; limits: Parameters<typeof overBudget>[1]; want: string | null }[] = [
    { spent: spent({ steps: 9 }), limits: { maxSteps: 10 }, want: null },
    { spent: spent({ steps: 10 }), limits: { maxSteps: 10 }, want: "10 steps (max 10)" },
    { spent: spent({ tokens: 5000 }), limits: { maxSteps: 10 }, want: null },
    {
      spent: spent({ tokens: 1100 }),
      limits: { maxSteps: 10, maxTokens: 1000 },
      want: "1100 tokens (max 1000)",
    },
    { spent: spent({ costUsd: 5.25 }), limits: { maxSteps: 10, maxCostUsd: 5 }, want: "$5.2500 (max $5)" },
    {
      spent: spent({ wallMs: 70_000 }),
      limits: { maxSteps: 10, maxWallMs: 60_000 },
      want: "70000 ms of wall time (max 60000)",
    },
    { spent: spent({ wallMs: 59_999 }), limits: { maxSteps: 10, maxWallMs: 60_000 }, want: null },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.spent)} within ${JSON.stringify(c.limits)} → ${c.want}`, () => {
      expect(overBudget(c.spent, c.limits)).toBe(c.want);
    });
  }
});
