import { afterAll, describe, expect, test } from "bun:test";
import { arena, removeArenas } from "./arena";
import { expectContained, expectRefused } from "./checks";
import { attack, type Call, stopFakes } from "./run";
import { exists } from "./snapshot";

// Class 1: path tricks. Every file tool resolves the model's path through paths.ts; none of these may reach
// .git, leave the worktree, or show where the worktree lives on the host.

afterAll(async () => {
  await stopFakes();
  removeArenas();
});

const gitDir = /the \.git directory is not accessible to tools/;
const dotdot = /may not contain "\.\."/;
const relative = /must be relative to the worktree/;

const cases: [string, Call, RegExp][] = [
  ["read_file .git/config", ["read_file", { path: ".git/config" }], gitDir],
  ["read_file .GIT/config (case)", ["read_file", { path: ".GIT/config" }], gitDir],
  [
    "edit_file ./.git/hooks/pre-commit",
    ["edit_file", { path: "./.git/hooks/pre-commit", new: "id\n" }],
    gitDir,
  ],
  [
    "edit_file fullwidth ．ｇｉｔ/config",
    ["edit_file", { path: "．ｇｉｔ/config", new: "[core]\n" }],
    gitDir,
  ],
  [
    "edit_file zero-width .g\u200bit/hooks/post-commit",
    ["edit_file", { path: ".g\u200bit/hooks/post-commit", new: "id\n" }],
    gitDir,
  ],
  ["read_file trailing dot .git./config", ["read_file", { path: ".git./config" }], gitDir],
  ["read_file trailing space .git /config", ["read_file", { path: ".git /config" }], gitDir],
  ["read_file 8.3 alias GIT~1/config", ["read_file", { path: "GIT~1/config" }], gitDir],
  ["list_files .git", ["list_files", { path: ".git" }], gitDir],
  ["search_code inside .git", ["search_code", { pattern: "gitdir", path: ".git" }], gitDir],
  ["edit_file src/../../x", ["edit_file", { path: "src/../../escaped.ts", new: "x\n" }], dotdot],
  [
    "edit_file fullwidth dots ．．/．．/x",
    ["edit_file", { path: "．．/．．/escaped.ts", new: "x\n" }],
    dotdot,
  ],
  ["read_file absolute /etc/passwd", ["read_file", { path: "/etc/passwd" }], relative],
  ["read_file ~/.ssh/id_rsa", ["read_file", { path: "~/.ssh/id_rsa" }], relative],
  ["read_file with a NUL byte", ["read_file", { path: "src/main.ts\u0000/../../etc/passwd" }], /NUL byte/],
  [
    "read_file with a control character",
    ["read_file", { path: "src/\u001b[2Jmain.ts" }],
    /control character/,
  ],
  [
    "edit_file with backslashes",
    ["edit_file", { path: "..\\..\\outside\\precious.txt", new: "x\n" }],
    /must use \/ as the separator/,
  ],
  ["list_files very deep path", ["list_files", { path: "a/".repeat(70) }], /nested too deeply/],
  ["read_file path longer than the schema allows", ["read_file", { path: "a".repeat(600) }], /invalid input/],
];

describe("path tricks are refused by the resolver, with a reason, and change nothing", () => {
  for (const [name, call, why] of cases) {
    test(name, async () => {
      const a = arena();
      const run = await attack(a, [call]);
      const refusal = expectRefused(run, 0, why);
      // A refusal never tells the model where Harness keeps things on the host.
      expect(String(refusal.data.content)).not.toContain(a.root);
      expect(run.status()).toBe("verifying");
      expectContained(a, run);
    });
  }
});

test("read_file ./.git names no host gitdir, in the result or anything sent to the model", async () => {
  const a = arena();
  const run = await attack(a, [
    ["read_file", { path: "./.git" }],
    ["list_files", {}],
  ]);
  expectRefused(run, 0, gitDir);
  // The listing shows the tree, never .git or the shared node_modules.
  const listing = String(run.output(1));
  expect(listing).toContain("src/main.ts");
  expect(listing).not.toMatch(/(^|\n)(\.git|node_modules)(\/|\n|$)/);
  const sent = run.sent();
  expect(sent).not.toContain(a.workspace);
  expect(sent).not.toContain(a.root);
  expect(sent).not.toContain("gitdir:");
  expect(sent).not.toContain(".git/worktrees");
  expectContained(a, run);
});

test("search_code takes a pattern that looks like a git option as a pattern, never as an option", async () => {
  const a = arena();
  const marker = a.hostMarkers[0] as string;
  const run = await attack(a, [
    ["search_code", { pattern: `--open-files-in-pager=touch ${marker}`, path: "src" }],
    ["search_code", { pattern: `-Otouch ${marker}` }],
    ["search_code", { pattern: "capacity", path: "--no-index" }],
  ]);
  expect(run.output(0)).toBe("no matches");
  expect(run.output(1)).toBe("no matches");
  // A path that looks like an option is a literal (missing) path after "--".
  expect(run.result(2)?.data.is_error).toBeFalsy();
  expect(exists(marker)).toBe(false);
  expectContained(a, run);
});
