import { expect, test } from "bun:test";
import { testCore } from "../testing/core";
import { testTicket } from "../testing/tickets";
import { canTransition } from "./state-machine";

type Core = ReturnType<typeof testCore>["core"];
type Clock = ReturnType<typeof testCore>["clock"];

/** A worker claims the ticket and dies: its lease runs out without a result. */
function crash(core: Core, clock: Clock, expire: () => number[]): void {
  expect(core.tickets.claimNext("dead", 10_000)).not.toBeNull();
  clock.advance(10_001);
  expire();
}

/** Every recorded move of the ticket is one the state machine allows. */
function movesAllowed(core: Core, id: number): boolean {
  return core.tickets
    .events(id)
    .filter((e) => e.kind === "status_changed")
    .every((e) => canTransition(e.data.from as never, e.data.to as never));
}

test("with max_attempts, the expiry that ends the last attempt fails the ticket instead of requeueing it", () => {
  const { core, clock } = testCore();
  const t = testTicket(core, { title: "crashes the worker", objective: "o" });
  const expire = () => core.tickets.expireLeases({ maxAttempts: 3 });
  crash(core, clock, expire);
  crash(core, clock, expire);
  expect(core.tickets.get(t.id).status).toBe("pending");
  crash(core, clock, expire);
  const after = core.tickets.get(t.id);
  expect(after.status).toBe("failed");
  expect(after.attempts).toBe(3);
  expect(after.lease_owner).toBeNull();
  expect(after.finished_at).toBe(clock.now());
  expect(after.resolution).toBe(
    "gave up after 3 attempts: the last 3 ended without a result (lease expired)",
  );
  expect(core.tickets.claimNext("w", 10_000, { maxAttempts: 3 })).toBeNull();
  expect(movesAllowed(core, t.id)).toBe(true);
});

test("a ticket an expiry without the limit put back is closed at the next claim, not claimed a fourth time", () => {
  const { core, clock } = testCore();
  const t = testTicket(core, { title: "crashes the worker", objective: "o" });
  clock.advance(1_000);
  const next = testTicket(core, { title: "fine", objective: "o" });
  // Three crashes, with the monitor's expiry, which does not know the limit.
  for (let i = 0; i < 3; i++) {
    expect(core.tickets.claimNext("dead", 10_000)?.id).toBe(t.id);
    clock.advance(10_001);
    core.tickets.expireLeases();
  }
  expect(core.tickets.get(t.id).status).toBe("pending");
  const claimed = core.tickets.claimNext("w", 10_000, { maxAttempts: 3 });
  expect(claimed?.id).toBe(next.id);
  const closed = core.tickets.get(t.id);
  expect(closed.status).toBe("failed");
  expect(closed.attempts).toBe(3);
  expect(closed.resolution).toBe(
    "gave up after 3 attempts: the last 3 ended without a result (lease expired)",
  );
  expect(movesAllowed(core, t.id)).toBe(true);
});

test("a ticket resuming after a person's decision at its last attempt is still claimed", () => {
  const { core, clock } = testCore();
  const t = testTicket(core, { title: "needs a person", objective: "o" });
  crash(core, clock, () => core.tickets.expireLeases({ maxAttempts: 3 }));
  crash(core, clock, () => core.tickets.expireLeases({ maxAttempts: 3 }));
  core.tickets.claimNext("w", 10_000, { maxAttempts: 3 });
  core.approvals.request(t.id, "restart_service", "restart it", "w", "w");
  core.approvals.decide(t.id, true, "alice");
  expect(core.tickets.get(t.id).attempts).toBe(3);
  expect(core.tickets.claimNext("w", 10_000, { maxAttempts: 3 })?.id).toBe(t.id);
});

test("without max_attempts expiry returns every ticket to the queue, marked as a lease expiry", () => {
  const { core, clock } = testCore();
  const t = testTicket(core, { title: "t", objective: "o" });
  for (let i = 0; i < 4; i++) crash(core, clock, () => core.tickets.expireLeases());
  expect(core.tickets.get(t.id).status).toBe("pending");
  const last = core.tickets.events(t.id).at(-1);
  expect(last?.data).toMatchObject({ to: "pending", reason: "lease of dead expired", lease_expired: true });
});
