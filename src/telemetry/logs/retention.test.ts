import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../lib/clock";
import { createLogRetentionLoop } from "./retention";
import { LogStore } from "./store";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

describe("createLogRetentionLoop", () => {
  test("start runs a pass at once, then one per interval of the clock, until stopped", () => {
    const store = new LogStore(":memory:");
    const clock = new FakeClock(T0);
    const MIN = 60_000;
    store.append([
      { labels: { service: "a" }, t: T0 - 11 * MIN, line: "old" },
      { labels: { service: "a" }, t: T0 - 9.5 * MIN, line: "aging" },
      { labels: { service: "a" }, t: T0, line: "new" },
    ]);
    const loop = createLogRetentionLoop({ store, clock, intervalMs: MIN, maxAgeMs: 10 * MIN });
    const all = () =>
      store.scan([1], 0, T0 + 100 * DAY, { direction: "forward", limit: 10 }).map((e) => e.line);
    loop.start();
    expect(all()).toEqual(["aging", "new"]);
    clock.advance(MIN - 1);
    expect(all()).toEqual(["aging", "new"]); // "aging" is past the age now, but no pass has run yet
    clock.advance(1);
    expect(all()).toEqual(["new"]);
    loop.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(DAY);
    expect(all()).toEqual(["new"]);
  });

  test("custom max age and errors go to onError", () => {
    const store = new LogStore(":memory:");
    store.append([{ labels: { service: "a" }, t: T0, line: "x" }]);
    const loop = createLogRetentionLoop({ store, clock: new FakeClock(T0 + 2000), maxAgeMs: 1000 });
    expect(loop.runOnce()).toEqual({ deleted: 1, streamsDeleted: 1 });
    const errors: unknown[] = [];
    store.close();
    const broken = createLogRetentionLoop({
      store,
      clock: new FakeClock(T0),
      onError: (e) => errors.push(e),
    });
    broken.start();
    broken.stop();
    expect(errors).toHaveLength(1);
  });
});
