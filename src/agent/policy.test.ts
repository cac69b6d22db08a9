import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPolicy, judge, loadPolicy } from "./policy";

test.each([
  ["query_metrics", {}, "allow"],
  ["restart_service", {}, "allow"],
  ["deploy", { diffLines: 40, testsPassed: true }, "allow"],
  ["deploy", { diffLines: 40, testsPassed: false }, "approve"],
  ["deploy", { diffLines: 450, testsPassed: true }, "approve"],
  ["drop_database", {}, "approve"],
])("default policy: %s %p → %s", (action, facts, verdict) => {
  expect(judge(defaultPolicy, action, { priority: "P3", ...facts }).verdict).toBe(verdict as "allow");
});

test("a policy file can restrict by priority and deny outright", () => {
  const dir = mkdtempSync(join(tmpdir(), "policy-"));
  writeFileSync(
    join(dir, "p.yaml"),
    "actions:\n  restart_service: { mode: auto, auto_for: [P1, P2] }\n  edit_file: { mode: deny }\n",
  );
  const p = loadPolicy(join(dir, "p.yaml"));
  expect(judge(p, "restart_service", { priority: "P1" }).verdict).toBe("allow");
  expect(judge(p, "restart_service", { priority: "P4" })).toEqual({
    verdict: "approve",
    reason: "restart_service is automatic only for P1, P2 tickets",
  });
  expect(judge(p, "edit_file", { priority: "P1" }).verdict).toBe("deny");
  writeFileSync(join(dir, "bad.yaml"), "actions:\n  deploy: { mode: sometimes }\n");
  expect(() => loadPolicy(join(dir, "bad.yaml"))).toThrow(/actions\.deploy\.mode/);
});
