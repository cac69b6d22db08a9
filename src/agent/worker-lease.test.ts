import { expect, test } from "bun:test";
import { holdLease, LeaseLost } from "./worker-lease";

test("confirm renews, and throws LeaseLost once the lease can no longer be renewed", () => {
  let held = true;
  let renewals = 0;
  const lease = holdLease(() => {
    renewals++;
    return held;
  }, 60_000);
  try {
    lease.confirm();
    expect(renewals).toBe(1);
    expect(lease.lost).toBeNull();
    held = false;
    expect(() => lease.confirm()).toThrow(LeaseLost);
    expect(lease.lost?.reason).toBe("lease lost");
    // Lost stays lost: no later renewal makes the attempt act again.
    held = true;
    expect(() => lease.confirm()).toThrow(LeaseLost);
  } finally {
    lease.end();
  }
});

test("a renewal that throws is a lost lease: the ticket can no longer be proved ours", () => {
  const lease = holdLease(() => {
    throw new Error("database is locked");
  }, 60_000);
  try {
    expect(() => lease.confirm()).toThrow(/lease lost: renewing it failed: database is locked/);
  } finally {
    lease.end();
  }
});

test("guard stops waiting as soon as a timed renewal finds the lease gone", async () => {
  let held = true;
  const lease = holdLease(() => held, 10);
  const never = new Promise<string>(() => {});
  try {
    const waiting = lease.guard(never);
    held = false;
    const settled = await Promise.race([
      waiting.then(
        () => "resolved",
        (e) => (e instanceof LeaseLost ? "lost" : "other"),
      ),
      Bun.sleep(1_000).then(() => "still waiting"),
    ]);
    expect(settled).toBe("lost");
    await expect(lease.guard(Promise.resolve(1))).rejects.toBeInstanceOf(LeaseLost);
  } finally {
    lease.end();
  }
});

test("release stops the attempt with its own reason, and end stops the renewals", async () => {
  let renewals = 0;
  const lease = holdLease(() => {
    renewals++;
    return true;
  }, 5);
  await Bun.sleep(30);
  expect(renewals).toBeGreaterThan(0);
  lease.release("agent stopped");
  expect(() => lease.confirm()).toThrow(/^agent stopped$/);
  const after = renewals;
  await Bun.sleep(30);
  expect(renewals).toBe(after);
  lease.end();
});
