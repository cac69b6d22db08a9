import { afterEach, expect, test } from "bun:test";
import { FakeClock } from "../../lib/clock";
import { createRetentionLoop } from "./retention";
import { MetricStore } from "./store";
import type { RetentionResult } from "./store-retention";

let store: MetricStore | undefined;
afterEach(() => store?.close());

test("runOnce deletes by age at the clock's time, in batches across event-loop turns", async () => {
  const s = new MetricStore(":memory:");
  store = s;
  const clock = new FakeClock(1_000_000);
  s.append(Array.from({ length: 1000 }, (_, i) => ({ labels: { __name__: "x" }, t: i * 1000, v: i })));
  const loop = createRetentionLoop({ store: s, clock, maxAgeMs: 500_000 });
  expect(await loop.runOnce()).toEqual({ samplesDeleted: 500, seriesDeleted: 0 });
  expect(s.stats().samples).toBe(500);
  clock.advance(1_000_000);
  expect(await loop.runOnce()).toEqual({ samplesDeleted: 500, seriesDeleted: 1 });
});

test("start runs on the clock's interval and reports each run; stop waits for a run in progress", async () => {
  const s = new MetricStore(":memory:");
  store = s;
  const clock = new FakeClock(10_000);
  s.append([{ labels: { __name__: "x" }, t: 0, v: 1 }]);
  const results: (RetentionResult | Error)[] = [];
  const loop = createRetentionLoop({
    store: s,
    clock,
    intervalMs: 60_000,
    maxAgeMs: 1000,
    onRun: (r) => results.push(r),
  });
  loop.start();
  await clock.advanceAsync(59_999);
  expect(results).toEqual([]); // no run before the first interval
  clock.advance(1);
  // The run the timer started is in progress (it yields between batches); stop waits for it.
  await loop.stop();
  expect(results).toEqual([{ samplesDeleted: 1, seriesDeleted: 1 }]);
  expect(clock.pendingTimers).toBe(0);
  s.append([{ labels: { __name__: "y" }, t: clock.now() - 5_000, v: 1 }]);
  await clock.advanceAsync(10 * 60_000);
  expect(results).toHaveLength(1);
  expect(s.stats().samples).toBe(1);
});
