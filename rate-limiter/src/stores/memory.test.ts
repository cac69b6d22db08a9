import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDirs } from "../testing/temp";
import { MemoryStore } from "./memory";

const limits = { capacity: 5, refillPerSecond: 1 };
const dirs = tempDirs("rl-snap-");
const tmp = () => dirs.make();
afterAll(() => dirs.cleanup());

describe("memory store", () => {
  test("is bounded: full buckets are evicted first, then the least recently used", async () => {
    let now = 0;
    const s = new MemoryStore(3, () => now);
    await s.check("busy-1", limits, 5);
    await s.check("refilled", limits, 1);
    await s.check("busy-2", limits, 5);
    now += 1000; // "refilled" is full again; the busy ones are not
    await s.check("busy-3", limits, 5);
    expect(s.size()).toBe(3);
    expect(await s.inspect("refilled", limits)).toBeUndefined();
    expect(await s.inspect("busy-1", limits)).toBeDefined();
    await s.check("busy-4", limits, 5);
    expect(s.size()).toBe(3);
    expect(await s.inspect("busy-1", limits)).toBeUndefined(); // least recently used
    expect((await s.inspect("busy-4", limits))?.tokens).toBe(0);
  });

  test("a bucket checked since the eviction pass last went by outlives one that was not", () => {
    const s = new MemoryStore(3, () => 0);
    for (const k of ["a", "b", "c", "d"]) s.checkSync(k, limits, 1);
    // Every bucket was used: the pass gives each a second chance, then takes the oldest.
    expect(s.inspectSync("a")).toBeUndefined();
    s.checkSync("b", limits, 1); // b, c and d remain; b is used again, c is not
    s.checkSync("e", limits, 1);
    expect(s.inspectSync("c")).toBeUndefined();
    expect(s.inspectSync("b")?.tokens).toBe(3);
    expect(s.inspectSync("d")?.tokens).toBe(4);
    expect(s.inspectSync("e")?.tokens).toBe(4);
    expect(s.size()).toBe(3);
  });

  test("a hot key among many keeps one bucket and its state", () => {
    const s = new MemoryStore(1000, () => 0);
    for (let i = 0; i < 999; i++) s.checkSync(`k${i}`, limits, 1);
    for (let i = 0; i < 5; i++) s.checkSync("hot", limits, 1);
    expect(s.size()).toBe(1000);
    expect(s.inspectSync("hot")?.tokens).toBe(0);
    expect(s.checkSync("hot", limits, 1).allowed).toBe(false);
    // A newcomer evicts a bucket not used since the pass, never the hot one.
    s.checkSync("new", limits, 1);
    expect(s.inspectSync("hot")).toBeDefined();
    expect(s.size()).toBe(1000);
  });

  test("stays bounded and quick under many distinct keys", async () => {
    let now = 0;
    const s = new MemoryStore(1000, () => now);
    for (let i = 0; i < 20_000; i++) {
      now += 1;
      s.checkSync(`k${i}`, limits, 3);
    }
    expect(s.size()).toBe(1000);
    // The most recent key keeps its state.
    expect((await s.inspect("k19999", limits))?.tokens).toBe(2);
  });

  test("a peek (hits 0) at an unknown key takes no slot", async () => {
    const s = new MemoryStore(10, () => 0);
    const d = await s.check("ghost", limits, 0);
    expect(d).toMatchObject({ allowed: true, remaining: 5 });
    expect(s.size()).toBe(0);
  });

  test("inspect reports the bucket refilled to now", async () => {
    let now = 0;
    const s = new MemoryStore(10, () => now);
    await s.check("k", limits, 5);
    now += 2500;
    expect((await s.inspect("k", limits))?.tokens).toBe(2.5);
  });

  test("a smaller max_keys after a reload evicts at once", async () => {
    const s = new MemoryStore(10, () => 0);
    for (let i = 0; i < 10; i++) await s.check(`k${i}`, limits, 1);
    s.setMaxKeys(4);
    expect(s.size()).toBe(4);
    expect(await s.inspect("k9", limits)).toBeDefined();
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
    const path = join(tmp(), "s.json");
    let now = 0;
    const a = new MemoryStore(100, () => now);
    await a.check("drained", limits, 5);
    await a.check("full-again", limits, 1);
    now += 1000;
    expect(a.saveSnapshot(path)).toBe(1); // the refilled bucket carries no state
    const b = new MemoryStore(100, () => now);
    expect(b.loadSnapshot(path)).toBe(1);
    const d = await b.check("drained", limits, 2);
    expect(d.allowed).toBe(false); // 1 token refilled during the 1 s, not a fresh 5
    expect(new MemoryStore(1, () => 0).loadSnapshot(join(tmp(), "missing.json"))).toBe(0);
  });

  test("a corrupt or foreign snapshot means an empty store, not a failed start", () => {
    const dir = tmp();
    const cases = [
      "{nope",
      '{"version": 99, "buckets": []}',
      '{"version": 2, "buckets": [["k", {"tokens": "x"}]]}',
    ];
    cases.forEach((text, i) => {
      writeFileSync(join(dir, `${i}.json`), text);
      expect(new MemoryStore(10, () => 0).loadSnapshot(join(dir, `${i}.json`))).toBe(0);
    });
  });
});
