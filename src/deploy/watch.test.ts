import { describe, expect, test } from "bun:test";
import { FakeClock } from "../lib/clock";
import type { InstanceState, InstanceStatus } from "../supervisor/supervisor";
import type { SloHealth } from "./slo-gate";
import { watchPromoted } from "./watch";

// The watch on a fake clock: time moves only when the test advances it, so a 10-minute watch takes no time.
const instance = (state: InstanceState) => ({ name: "rate-limiter-0", state }) as InstanceStatus;
const slo = (burn5m: number | null): SloHealth => ({ id: 1, name: "availability", remaining: 0.9, burn5m });

function watch(over: { before?: SloHealth[]; burn?: () => number | null; state?: () => InstanceState } = {}) {
  const clock = new FakeClock();
  let healthReads = 0;
  let outcome: string | null | undefined;
  const done = watchPromoted({
    clock,
    supervisor: { status: () => [instance(over.state?.() ?? "ready")] },
    ms: 600_000,
    before: over.before ?? [],
    health: async () => {
      healthReads++;
      return [slo(over.burn?.() ?? 0)];
    },
  }).then((r) => {
    outcome = r;
  });
  return { clock, done, outcome: () => outcome, healthReads: () => healthReads };
}

describe("watchPromoted", () => {
  test("a quiet watch ends when its time is up, and not before", async () => {
    const w = watch({ before: [slo(0.5)] });
    await w.clock.advanceAsync(599_000);
    expect(w.outcome()).toBeUndefined();
    await w.clock.advanceAsync(1_000);
    await w.done;
    expect(w.outcome()).toBeNull();
    // Once a second, not at every 200 ms poll.
    expect(w.healthReads()).toBeGreaterThanOrEqual(600);
    expect(w.healthReads()).toBeLessThanOrEqual(601);
  });

  test("an instance that stops during the watch is the problem", async () => {
    let state: InstanceState = "ready";
    const w = watch({ state: () => state });
    await w.clock.advanceAsync(30_000);
    state = "crash_loop";
    await w.clock.advanceAsync(200);
    await w.done;
    expect(w.outcome()).toBe("rate-limiter-0 is crash_loop after the deploy");
  });

  test("an SLO that starts burning at the page rate is the problem; without SLOs none is read", async () => {
    let burn = 1;
    const w = watch({ before: [slo(1)], burn: () => burn });
    await w.clock.advanceAsync(5_000);
    burn = 20;
    await w.clock.advanceAsync(1_000);
    await w.done;
    expect(w.outcome()).toMatch(/^SLO availability burns 20.0× its budget over 5 m after the deploy/);

    const none = watch();
    await none.clock.advanceAsync(600_000);
    await none.done;
    expect([none.outcome(), none.healthReads()]).toEqual([null, 0]);
  });
});
