import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { systemClock } from "../lib/clock";
import { createTicketRepo } from "./repo";

test("two worker processes claiming from one database never hold the same ticket", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "harness-claim-")), "h.db");
  const tickets = createTicketRepo(openDatabase(path), systemClock);
  const ids = Array.from(
    { length: 200 },
    (_, i) => tickets.create({ title: `t${i}`, objective: "o" }, "test").id,
  );
  const script = join(import.meta.dir, "../testing/claim-worker.ts");
  const run = (name: string) =>
    Bun.spawn([process.execPath, script, path, name], {
      stdout: "pipe",
      env: { ...process.env, BUN_BE_BUN: "1" },
    });
  const procs = [run("a"), run("b")];
  const outputs = await Promise.all(
    procs.map(async (p) => JSON.parse(await new Response(p.stdout).text()) as number[]),
  );
  const [a, b] = outputs as [number[], number[]];
  const both = a.filter((id) => b.includes(id));
  expect(both).toEqual([]);
  expect([...a, ...b].sort((x, y) => x - y)).toEqual(ids);
  for (const id of ids) expect(tickets.get(id).status).toBe("in_progress");
});
