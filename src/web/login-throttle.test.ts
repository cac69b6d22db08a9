import { describe, expect, test } from "bun:test";
import { FakeClock } from "../lib/clock";
import { clientKey, createLoginThrottle } from "./login-throttle";

const minute = 60_000;

describe("login throttle", () => {
  test("locks after 5 failures, doubles with each further failure up to an hour", () => {
    const clock = new FakeClock();
    const t = createLoginThrottle(() => clock.now());
    expect([1, 2, 3, 4].map(() => t.failed("a"))).toEqual([0, 0, 0, 0]);
    expect(t.lockedFor("a")).toBe(0);
    expect(t.failed("a")).toBe(minute);
    expect(t.lockedFor("a")).toBe(minute);
    const locks: number[] = [];
    for (let i = 0; i < 8; i++) {
      clock.advance(t.lockedFor("a"));
      expect(t.lockedFor("a")).toBe(0);
      locks.push(t.failed("a") / minute);
    }
    expect(locks).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
  });

  test("a success forgets the client; so does a quiet window", () => {
    const clock = new FakeClock();
    const t = createLoginThrottle(() => clock.now());
    for (let i = 0; i < 4; i++) t.failed("a");
    t.succeeded("a");
    expect(t.failed("a")).toBe(0);
    for (let i = 0; i < 4; i++) t.failed("b");
    clock.advance(15 * minute);
    expect(t.failed("b")).toBe(0);
    // Locked, then quiet for a window after the lock: back to a first offence.
    for (let i = 0; i < 5; i++) t.failed("c");
    clock.advance(minute + 15 * minute);
    expect(t.failed("c")).toBe(0);
  });

  test("clients are counted apart", () => {
    const clock = new FakeClock();
    const t = createLoginThrottle(() => clock.now());
    for (let i = 0; i < 5; i++) t.failed("a");
    expect(t.lockedFor("a")).toBeGreaterThan(0);
    expect(t.lockedFor("b")).toBe(0);
  });

  test("the table is bounded: the least recently failed client is evicted", () => {
    const clock = new FakeClock();
    const t = createLoginThrottle(() => clock.now(), { maxClients: 3 });
    for (let i = 0; i < 5; i++) t.failed("locked");
    for (let i = 0; i < 1000; i++) t.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size()).toBe(3);
    expect(t.lockedFor("locked")).toBe(0);
  });

  test.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    [null, "unknown"],
    [undefined, "unknown"],
  ])("client key of %p is %p", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
