import { describe, expect, test } from "bun:test";
import { attemptsUsedUp, endedByLeaseExpiry, expiredInARow } from "./attempts";
import type { TicketEvent } from "./model";

const move = (from: string, to: string, extra: Record<string, unknown> = {}): TicketEvent => ({
  id: 0,
  ticket_id: 1,
  seq: 0,
  ts: 0,
  kind: "status_changed",
  actor: "system",
  data: { from, to, ...extra },
});
const expired = move("in_progress", "pending", { reason: "lease of w expired", lease_expired: true });
const claimed = move("pending", "in_progress", { reason: "claimed" });

describe("endedByLeaseExpiry", () => {
  test("recognises the flag, and the reason text of histories written before it", () => {
    expect(endedByLeaseExpiry(expired)).toBe(true);
    expect(endedByLeaseExpiry(move("in_progress", "pending", { reason: "lease of agent-1-0 expired" }))).toBe(
      true,
    );
    expect(endedByLeaseExpiry(move("in_progress", "pending", { reason: "agent error: boom" }))).toBe(false);
    expect(endedByLeaseExpiry(claimed)).toBe(false);
  });
});

describe("expiredInARow", () => {
  const cases: { name: string; events: TicketEvent[]; want: number }[] = [
    { name: "never claimed", events: [], want: 0 },
    { name: "one crash", events: [claimed, expired], want: 1 },
    { name: "three crashes", events: [claimed, expired, claimed, expired, claimed, expired], want: 3 },
    {
      name: "an attempt that paused for a person breaks the run",
      events: [
        claimed,
        expired,
        claimed,
        move("in_progress", "awaiting_approval"),
        move("awaiting_approval", "pending"),
        claimed,
        expired,
      ],
      want: 1,
    },
    {
      name: "the last attempt ended with an error: none in a row",
      events: [claimed, expired, claimed, move("in_progress", "pending", { reason: "agent error: x" })],
      want: 0,
    },
    {
      name: "in progress after a crash: the crash is still the last ending",
      events: [claimed, expired, claimed],
      want: 1,
    },
  ];
  for (const c of cases) test(c.name, () => expect(expiredInARow(c.events)).toBe(c.want));
});

describe("attemptsUsedUp", () => {
  const cases: [number, number, number, string | null][] = [
    [2, 3, 2, null],
    [3, 3, 0, null], // the last attempt did not expire (a resume after an approval): it may go on
    [3, 3, 1, "gave up after 3 attempts: the last one ended without a result (lease expired)"],
    [5, 3, 5, "gave up after 5 attempts: the last 5 ended without a result (lease expired)"],
  ];
  for (const [attempts, max, inARow, want] of cases)
    test(`${attempts} of ${max}, ${inARow} expired in a row → ${want}`, () =>
      expect(attemptsUsedUp(attempts, max, inARow)).toBe(want));
});
