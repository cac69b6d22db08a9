import { describe, expect, test } from "bun:test";
import { stepFlap, stepSeriesPending } from "./rule-state";

describe("stepSeriesPending (per-series for)", () => {
  test.each([
    // [previous timers, violating now, for, now, expected timers, expected firing]
    [{}, ["a"], 60_000, 0, { a: 0 }, []],
    [{ a: 0 }, ["a", "b"], 60_000, 60_000, { a: 0, b: 60_000 }, ["a"]],
    [{ a: 0, b: 60_000 }, ["b"], 60_000, 90_000, { b: 60_000 }, []],
    [{ b: 60_000 }, ["a", "b"], 60_000, 120_000, { a: 120_000, b: 60_000 }, ["b"]],
    [{}, ["a", "b"], 0, 5, { a: 5, b: 5 }, ["a", "b"]],
    [{ a: 0 }, [], 60_000, 500_000, {}, []],
  ] as const)("%j + %j (for %d at %d)", (prev, violating, forMs, now, pending, firing) => {
    expect(stepSeriesPending({ ...prev }, [...violating], forMs, now)).toEqual({
      pending: { ...pending },
      firing: [...firing],
    });
  });
});

describe("stepFlap (damping with hysteresis)", () => {
  const run = (bits: string, flapping = false) => {
    let h = "";
    let f = flapping;
    const seen: boolean[] = [];
    for (const b of bits) {
      const r = stepFlap(h, b === "1", f);
      h = r.history;
      f = r.flapping;
      seen.push(f);
    }
    return { history: h, flapping: f, seen };
  };

  test.each([
    ["steady firing", "1111111111", false],
    ["one recurrence", "1100000011", false],
    ["five changes", "101010", false],
    ["six changes", "1010101", true],
    ["clean series", "0000000000000000000000000", false],
  ])("%s: %s → flapping %p", (_, bits, flapping) => {
    expect(run(bits).flapping).toBe(flapping);
  });

  test("history keeps the last 20 evaluations", () => {
    expect(run("1".repeat(30)).history).toBe("1".repeat(20));
  });

  test("once flapping it stays so until at most 2 changes remain in the window, then stops", () => {
    const r = run(`1010101${"1".repeat(19)}`);
    const firstStop = r.seen.indexOf(false, 6);
    // Flapping from the 7th evaluation; the 6 changes age out of the 20-evaluation window one by one.
    expect(r.seen.slice(6, firstStop).every(Boolean)).toBe(true);
    expect(stepFlap(r.history.slice(0, 19), true, true).changes).toBeLessThanOrEqual(2);
    expect(r.flapping).toBe(false);
    // Hysteresis: 3 to 5 changes keep an ongoing flap, but do not start one.
    expect(stepFlap("1010", true, true).flapping).toBe(true);
    expect(stepFlap("1010", true, false).flapping).toBe(false);
  });
});
