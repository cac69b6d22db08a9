import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort, waitFor } from "../testing/ports";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

const procs: ReturnType<typeof Bun.spawn>[] = [];
afterAll(() => {
  for (const p of procs) p.kill();
});

test("load against a real rate limiter: abusers get denied, nobody gets errors", async () => {
  const port = await freePort();
  const main = join(import.meta.dir, "../../rate-limiter/src/main.ts");
  procs.push(
    Bun.spawn([process.execPath, main, "--port", String(port)], {
      stdout: "ignore",
      env: { ...process.env, BUN_BE_BUN: "1" },
    }),
  );
  await waitFor("rate limiter", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
  const progress: string[] = [];
  const r = await runLoad(
    `http://127.0.0.1:${port}`,
    { ...defaultShape, rate: 300, durationMs: 2500, abusiveShare: 0.3 },
    7,
    (l) => progress.push(l),
  );
  expect(r.errors).toBe(0);
  expect(r.sent).toBeGreaterThan(200);
  expect(r.allowed + r.denied).toBe(r.sent);
  expect(r.abusive_denied).toBeGreaterThan(0);
  expect(progress.length).toBeGreaterThanOrEqual(1);
});
