import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCore } from "../testing/core";
import { commitForTicket, git } from "../workspace/git";
import { auditVerify } from "./verify";

test("audit finds out-of-band commits, system tickets without observations, and passes a clean history", () => {
  const { core } = testCore();
  const dir = join(mkdtempSync(join(tmpdir(), "harness-audit-")), "ws");
  mkdirSync(dir);
  writeFileSync(join(dir, "a.ts"), "1");
  git(dir, ["init", "-q", "-b", "main"]);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "-m", "import"]);
  const t = core.tickets.create({ title: "t", objective: "o" }, "p");
  writeFileSync(join(dir, "a.ts"), "2");
  commitForTicket(dir, t.id, ["a.ts"], "change a");
  expect(auditVerify(core.db, dir).problems).toEqual([]);

  writeFileSync(join(dir, "a.ts"), "3");
  git(dir, ["commit", "-q", "-am", "sneaky hotfix"]);
  core.tickets.create({ title: "from nowhere", objective: "o", source: "invariant" }, "m");
  const kinds = auditVerify(core.db, dir)
    .problems.map((p) => p.kind)
    .sort();
  expect(kinds).toEqual(["commit_without_ticket", "ticket_without_observation"]);
});
