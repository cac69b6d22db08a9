import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "./store";

const limits = { capacity: 5, refillPerSecond: 1 };

describe("memory store", () => {
  test("is bounded: full buckets are evicted first, then the least recently used", async () => {
    let now = 0;
    const s = new MemoryStore(3, () => now);
    await s.check("busy-1", limits, 5);
    await s.check("busy-2", limits, 5);
    await s.check("idle", limits, 0); // full: carries no state
    await s.check("busy-3", limits, 5);
    expect(s.size()).toBe(3);
    expect(s.peek("idle")).toBeUndefined();
    await s.check("busy-4", limits, 5);
    expect(s.peek("busy-1")).toBeUndefined();
    expect(s.peek("busy-4")?.tokens).toBe(0);
    now += 1;
  });

  test("under a hot key, admissions never exceed capacity + refill × elapsed", async () => {
    let now = 0;
    const s = new MemoryStore(10, () => now);
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) {
      now += 1; // 10 s in total
      const batch = await Promise.all([s.check("hot", limits, 1), s.check("hot", limits, 1)]);
      admitted += batch.filter((d) => d.allowed).length;
    }
    expect(admitted).toBeLessThanOrEqual(5 + 1 * 10);
    expect(admitted).toBeGreaterThanOrEqual(14);
  });

  test("snapshots survive a restart, so nobody gets a fresh burst", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "rl-snap-")), "s.json");
    const a = new MemoryStore(100, () => 0);
    await a.check("k", limits, 5);
    expect(a.saveSnapshot(path)).toBe(1);
    const b = new MemoryStore(100, () => 0);
    expect(b.loadSnapshot(path)).toBe(1);
    expect((await b.check("k", limits, 1)).allowed).toBe(false);
    expect(new MemoryStore(1, () => 0).loadSnapshot(join(tmpdir(), "missing.json"))).toBe(0);
  });
});
