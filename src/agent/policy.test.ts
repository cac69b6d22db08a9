import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPolicy, judge, loadPolicy, PolicySchema } from "./policy";

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

test("effects need a person by default, whatever the tool's own rule says", () => {
  const effects = [{ kind: "limit_change" as const, detail: "default capacity 100 → 1000000000" }];
  expect(judge(defaultPolicy, "update_config", { priority: "P1", effects })).toEqual({
    verdict: "approve",
    reason: "default capacity 100 → 1000000000",
  });
  expect(judge(defaultPolicy, "update_config", { priority: "P1", effects: [] }).verdict).toBe("allow");
  const taint = [{ value: "1000000000", source: "query_logs output" }];
  expect(judge(defaultPolicy, "update_config", { priority: "P1", taint })).toEqual({
    verdict: "approve",
    reason: 'its arguments carry text seen only in untrusted data: "1000000000" (from query_logs output)',
  });
});

test("a policy file can make an effect automatic or forbid it, and set the factor", () => {
  const dir = mkdtempSync(join(tmpdir(), "policy-"));
  writeFileSync(
    join(dir, "p.yaml"),
    "effects:\n  limit_factor: 10\n  on: { tests_with_code: auto, policy_removed: deny }\n",
  );
  const p = loadPolicy(join(dir, "p.yaml"));
  expect(p.effects.limit_factor).toBe(10);
  const both = { kind: "tests_with_code" as const, detail: "tests with code" };
  expect(judge(p, "edit_file", { priority: "P3", effects: [both] }).verdict).toBe("allow");
  const removed = { kind: "policy_removed" as const, detail: "policy login is removed" };
  expect(judge(p, "update_config", { priority: "P3", effects: [removed, both] })).toEqual({
    verdict: "deny",
    reason: "policy login is removed",
  });
  // The rest keep their default.
  expect(p.effects.on.build_config).toBe("approve");
  writeFileSync(join(dir, "bad.yaml"), "effects:\n  on: { limit_changes: auto }\n");
  expect(() => loadPolicy(join(dir, "bad.yaml"))).toThrow(/limit_changes/);
});

test("a tool's own approval rule and an effect are both named", () => {
  const p = PolicySchema.parse({ actions: { update_config: { mode: "approve" } } });
  const effects = [{ kind: "fail_mode" as const, detail: "store.fail_open true → false" }];
  expect(judge(p, "update_config", { priority: "P3", effects })).toEqual({
    verdict: "approve",
    reason: "the policy requires approval for update_config; store.fail_open true → false",
  });
});
