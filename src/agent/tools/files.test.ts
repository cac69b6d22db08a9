import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetricsBackend } from "../../telemetry/types";
import { testCore } from "../../testing/core";
import { testTicket } from "../../testing/tickets";
import { git } from "../../workspace/git";
import type { ToolContext } from "../types";
import { tools } from "./registry";

function repo(): string {
  const base = mkdtempSync(join(tmpdir(), "harness-tools-"));
  const dir = join(base, "rate-limiter");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "svc", scripts: { test: "bun test" } }));
  writeFileSync(join(dir, "src", "limits.ts"), "export const capacity = 100;\nexport const refill = 10;\n");
  writeFileSync(
    join(dir, "src", "limits.test.ts"),
    'import { expect, test } from "bun:test";\nimport { capacity } from "./limits";\ntest("capacity", () => expect(capacity).toBeGreaterThan(0));\n',
  );
  git(dir, ["init", "-q", "-b", "main"]);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "-q", "-m", "init"]);
  return dir;
}

const unusedMetrics = {} as MetricsBackend; // file tools never read metrics

function setup() {
  const { core } = testCore();
  const t = testTicket(core, { title: "raise capacity", objective: "o" }, "test");
  const workspaceDir = repo();
  const ctx: ToolContext = {
    core,
    ticket: t,
    metrics: unusedMetrics,
    supervisor: null,
    workspaceDir,
    workerId: "w1",
  };
  const call = async (name: string, input: Record<string, unknown>) => {
    const tool = tools.find((x) => x.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    try {
      return await tool.run(tool.input.parse(input), ctx);
    } catch (err) {
      return { output: (err as Error).message, isError: true };
    }
  };
  return { core, t, workspaceDir, call };
}

describe("file tools", () => {
  test("read, list and search inside the ticket's worktree", async () => {
    const { call } = setup();
    expect((await call("read_file", { path: "src/limits.ts" })).output).toBe(
      "1\texport const capacity = 100;\n2\texport const refill = 10;\n3\t",
    );
    expect(String((await call("list_files", {})).output).split("\n")).toEqual([
      "package.json",
      "src/limits.test.ts",
      "src/limits.ts",
    ]);
    expect((await call("search_code", { pattern: "refill\\s*=" })).output).toBe(
      "src/limits.ts:2: export const refill = 10;",
    );
    expect((await call("search_code", { pattern: "(" })).isError).toBe(true);
  });

  test("edit_file commits on ticket/<id> with a Ticket trailer; main is untouched", async () => {
    const { core, t, workspaceDir, call } = setup();
    const res = await call("edit_file", {
      path: "src/limits.ts",
      old: "capacity = 100",
      new: "capacity = 150",
    });
    expect(res.isError).toBeUndefined();
    expect(String(res.output)).toMatch(new RegExp(`committed [0-9a-f]{12} on ticket/${t.id}`));
    const log = git(workspaceDir, ["log", "-1", "--format=%B", `ticket/${t.id}`]).stdout;
    expect(log).toContain(`Ticket: ${t.id}`);
    expect(git(workspaceDir, ["show", "main:src/limits.ts"]).stdout).toContain("capacity = 100");
    expect(core.tickets.events(t.id).some((e) => e.kind === "commit")).toBe(true);
    const twice = await call("edit_file", { path: "src/limits.ts", old: "export", new: "export" });
    expect(twice.output).toMatch(/exactly once in src\/limits.ts; found 2 times/);
  });

  test("paths outside the workspace are refused", async () => {
    const { call } = setup();
    for (const path of ["../../etc/passwd", "/etc/passwd", ".git/config"]) {
      expect((await call("read_file", { path })).isError).toBe(true);
      expect((await call("edit_file", { path, new: "x" })).isError).toBe(true);
    }
  });

  test("run_tests runs the declared test command on the branch", async () => {
    const { call } = setup();
    const ok = await call("run_tests", {});
    expect((ok.output as { exit_code: number }).exit_code).toBe(0);
    await call("edit_file", { path: "src/limits.ts", old: "capacity = 100", new: "capacity = -1" });
    const bad = await call("run_tests", {});
    expect(bad.isError).toBe(true);
    expect((bad.output as { passed: boolean }).passed).toBe(false);
  });
});
