import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../lib/clock";
import { createLogRetentionLoop } from "./retention";
import { LogStore } from "./store";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

describe("createLogRetentionLoop", () => {
  test("start runs a pass at once and keeps running until stopped", async () => {
    const store = new LogStore(":memory:");
    const clock = new FakeClock(T0 + 40 * DAY);
    store.append([
      { labels: { service: "a" }, t: T0, line: "old" },
      { labels: { service: "a" }, t: T0 + 10 * DAY, line: "kept" },
    ]);
    const loop = createLogRetentionLoop({ store, clock, intervalMs: 5 });
    loop.start();
    const all = () =>
      store.scan([1], 0, T0 + 100 * DAY, { direction: "forward", limit: 10 }).map((e) => e.line);
    expect(all()).toEqual(["kept"]);
    store.append([{ labels: { service: "a" }, t: T0 + 41 * DAY, line: "new" }]);
    clock.advance(20 * DAY);
    // Wait for the timer rather than a fixed sleep, so a loaded machine cannot flake the test.
    for (let i = 0; i < 200 && all().length > 1; i++) await Bun.sleep(5);
    expect(all()).toEqual(["new"]);
    loop.stop();
    clock.advance(100 * DAY);
    await Bun.sleep(20);
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
