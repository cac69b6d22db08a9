import { afterAll, expect, test } from "bun:test";
import { startHarness } from "../../testing/harness-process";
import { fuzz } from "./run";
import { seedFuzzData } from "./seed";

const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

/**
 * Seeded fuzzing that stays in `npm test` (bounded: 5,000 PromQL, 2,000 LogQL and 1,000 API bodies) against a
 * real `harness up`: no 5xx but a query's own timeout, every answer within its deadline, `/healthz` under a
 * second throughout. `bun run fuzz` runs the same with 100,000 inputs and more seeds.
 */
test("fuzz: hostile queries and bodies get clear answers in bounded time while /healthz stays fast", async () => {
  const deadlineMs = 5_000;
  const h = await startHarness([`query: { timeout: 5s }`]);
  stops.push(() => h.stop());
  await seedFuzzData(h.base, h.token);
  const report = await fuzz({
    base: h.base,
    token: h.token,
    seed: 20_261_205,
    promql: 5_000,
    logql: 2_000,
    bodies: 1_000,
    concurrency: 8,
    deadlineMs,
  });
  // The first violations say exactly which input failed and how, should one appear.
  expect(report.violations.slice(0, 5)).toEqual([]);
  expect(report.sent).toBe(8_000);
  expect(report.healthz.maxMs).toBeLessThan(1_000);
  // Most input is answered as data or as the caller's mistake; some of it must have been valid.
  expect(report.byStatus["200"] ?? 0).toBeGreaterThan(1_000);
  expect(report.byStatus["400"] ?? 0).toBeGreaterThan(100);
}, 240_000);
