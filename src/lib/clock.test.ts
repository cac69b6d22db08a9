import { describe, expect, test } from "bun:test";
import { FakeClock, systemClock } from "./clock";

const T0 = Date.UTC(2026, 0, 1);

/** A script of timers armed at T0, then one advance; what fired, at which fake time. */
type Arm = ["timeout" | "interval", string, number];
const cases: { name: string; arm: Arm[]; advance: number; fired: string[] }[] = [
  { name: "nothing due yet", arm: [["timeout", "a", 10]], advance: 9, fired: [] },
  { name: "due exactly at the end", arm: [["timeout", "a", 10]], advance: 10, fired: ["a@10"] },
  {
    name: "in order of due time, not of arming",
    arm: [
      ["timeout", "late", 30],
      ["timeout", "early", 10],
    ],
    advance: 100,
    fired: ["early@10", "late@30"],
  },
  {
    name: "ties in the order they were armed",
    arm: [
      ["timeout", "first", 10],
      ["timeout", "second", 10],
    ],
    advance: 10,
    fired: ["first@10", "second@10"],
  },
  {
    name: "an interval re-arms after each run",
    arm: [["interval", "i", 10]],
    advance: 35,
    fired: ["i@10", "i@20", "i@30"],
  },
  {
    name: "intervals and timeouts interleave by due time",
    arm: [
      ["interval", "i", 10],
      ["timeout", "t", 15],
    ],
    advance: 20,
    fired: ["i@10", "t@15", "i@20"],
  },
  { name: "a 0 ms timeout fires on any advance", arm: [["timeout", "z", 0]], advance: 0, fired: ["z@0"] },
  {
    name: "a 0 ms interval runs every 1 ms",
    arm: [["interval", "z", 0]],
    advance: 3,
    fired: ["z@1", "z@2", "z@3"],
  },
];

describe("FakeClock.advance", () => {
  for (const c of cases)
    test(c.name, () => {
      const clock = new FakeClock(T0);
      const fired: string[] = [];
      for (const [kind, name, ms] of c.arm) {
        const fn = () => fired.push(`${name}@${clock.now() - T0}`);
        if (kind === "timeout") clock.setTimeout(fn, ms);
        else clock.setInterval(fn, ms);
      }
      clock.advance(c.advance);
      expect(fired).toEqual(c.fired);
      expect(clock.now()).toBe(T0 + c.advance);
    });

  test("a cleared timer or interval does not fire, and is no longer pending", () => {
    const clock = new FakeClock(T0);
    const fired: string[] = [];
    const t = clock.setTimeout(() => fired.push("t"), 10);
    const i = clock.setInterval(() => fired.push("i"), 10);
    expect(clock.pendingTimers).toBe(2);
    clock.clearTimeout(t);
    clock.clearInterval(i);
    clock.clearTimeout(undefined);
    clock.advance(100);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  test("a timer armed by a timer fires in the same advance when it falls due", () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now() - T0);
      clock.setTimeout(() => fired.push(clock.now() - T0), 5);
    }, 10);
    clock.advance(20);
    expect(fired).toEqual([10, 15]);
  });

  test("an interval can clear itself from its own callback", () => {
    const clock = new FakeClock(T0);
    let runs = 0;
    const h = clock.setInterval(() => {
      if (++runs === 2) clock.clearInterval(h);
    }, 10);
    clock.advance(100);
    expect(runs).toBe(2);
  });

  test("a timeout that re-arms itself at 0 ms is reported instead of spinning forever", () => {
    const clock = new FakeClock(T0);
    const again = () => clock.setTimeout(again, 0);
    again();
    expect(() => clock.advance(1)).toThrow(/re-arming itself/);
  });

  test("set moves forward through due timers, and backward without firing", () => {
    const clock = new FakeClock(T0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now() - T0), 10);
    clock.set(T0 - 1000);
    expect(fired).toEqual([]);
    clock.set(T0 + 50);
    expect(fired).toEqual([10]);
    expect(clock.now()).toBe(T0 + 50);
  });
});

describe("FakeClock.sleep and advanceAsync", () => {
  test("a loop of awaited sleeps progresses under advanceAsync, one round per period", async () => {
    const clock = new FakeClock(T0);
    const rounds: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        rounds.push(clock.now() - T0);
        await clock.sleep(1000);
      }
    })();
    await clock.advanceAsync(3500);
    expect(rounds).toEqual([0, 1000, 2000, 3000]);
    running = false;
    await clock.advanceAsync(1000);
    await loop;
    expect(rounds).toHaveLength(4);
  });

  test("plain advance resolves the sleep but leaves the loop to the next turn", async () => {
    const clock = new FakeClock(T0);
    let woke = false;
    const p = clock.sleep(10).then(() => {
      woke = true;
    });
    clock.advance(10);
    expect(woke).toBe(false); // a promise continuation, not yet run
    await p;
    expect(woke).toBe(true);
  });

  test("an aborted sleep rejects with the signal's reason and clears its timer", async () => {
    const clock = new FakeClock(T0);
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    expect(clock.pendingTimers).toBe(1);
    ac.abort(new Error("stop"));
    expect(clock.pendingTimers).toBe(0);
    await expect(p).rejects.toThrow("stop");
    await expect(clock.sleep(1, ac.signal)).rejects.toThrow("stop");
  });
});

describe("systemClock", () => {
  test("uses real time and real timers", async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const fired: string[] = [];
    const cleared = systemClock.setTimeout(() => fired.push("cleared"), 1);
    systemClock.clearTimeout(cleared);
    let ticks = 0;
    const i = systemClock.setInterval(() => ticks++, 1);
    await systemClock.sleep(20);
    systemClock.clearInterval(i);
    expect(fired).toEqual([]);
    expect(ticks).toBeGreaterThan(0);
    const ac = new AbortController();
    const sleeping = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Error("woken"));
    await expect(sleeping).rejects.toThrow("woken");
  });
});
