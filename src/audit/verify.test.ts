import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCore } from "../testing/core";
import { testTicket } from "../testing/tickets";
import { commitForTicket, git } from "../workspace/git";
import { auditVerify } from "./verify";

test("audit finds out-of-band commits, system tickets without observations, and passes a clean history", () => {
  const { core, db } = testCore();
  const dir = join(mkdtempSync(join(tmpdir(), "harness-audit-")), "ws");
  mkdirSync(dir);
  writeFileSync(join(dir, "a.ts"), "1");
  git(dir, ["init", "-q", "-b", "main"]);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "-m", "import"]);
  const t = testTicket(core, { title: "t", objective: "o" }, "p");
  writeFileSync(join(dir, "a.ts"), "2");
  commitForTicket(dir, t.id, ["a.ts"], "change a");
  expect(auditVerify(db, dir).problems).toEqual([]);

  writeFileSync(join(dir, "a.ts"), "3");
  git(dir, ["commit", "-q", "-am", "sneaky hotfix"]);
  // The intake gives every ticket its observation; a row written around it (an old database, a hand edit) has none.
  db.query(
    `INSERT INTO tickets (title, objective, success_criteria, context, source, priority, status, created_at, updated_at)
       VALUES ('from nowhere', 'o', '[]', '{}', 'invariant', 3, 'pending', 0, 0)`,
  ).run();
  const kinds = auditVerify(db, dir)
    .problems.map((p) => p.kind)
    .sort();
  expect(kinds).toEqual(["commit_without_ticket", "ticket_without_observation"]);
});
