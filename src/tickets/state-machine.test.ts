import { describe, expect, test } from "bun:test";
import { AppError } from "../lib/errors";
import { type TicketStatus, ticketStatuses } from "./model";
import { assertTransition, canTransition } from "./state-machine";

const legal: [TicketStatus, TicketStatus][] = [
  ["pending", "in_progress"],
  ["pending", "cancelled"],
  ["in_progress", "verifying"],
  ["in_progress", "awaiting_approval"],
  ["in_progress", "pending"],
  ["awaiting_approval", "pending"],
  ["verifying", "completed"],
  ["verifying", "pending"],
  ["verifying", "failed"],
];

describe("ticket state machine", () => {
  test.each(legal)("%s → %s is allowed", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  test.each([
    ["pending", "completed"],
    ["in_progress", "completed"],
    ["awaiting_approval", "verifying"],
    ["completed", "pending"],
    ["cancelled", "in_progress"],
  ] as [TicketStatus, TicketStatus][])("%s → %s is rejected with a conflict", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    try {
      assertTransition(from, to);
      throw new Error("expected a conflict");
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("conflict");
      expect((err as AppError).message).toContain(`from ${from} to ${to}`);
    }
  });

  test("final states have no way out", () => {
    for (const s of ["completed", "failed", "cancelled"] as const) {
      for (const to of ticketStatuses) expect(canTransition(s, to)).toBe(false);
    }
  });
});
