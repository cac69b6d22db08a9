import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS_FILE } from "../../workspace/workspace";
import { arena, commitOnMain, needsSandbox, removeArenas } from "./arena";
import { expectContained, expectRefused, hostileReport } from "./checks";
import { HOSTILE_PATH, hostileTest, q } from "./hostile";
import { attack, permissivePolicy, stopFakes } from "./run";

// Class 2: link tricks. A service repository may carry links (dangling, to outside, into .git), and test code
// may plant links in the worktree; no tool follows one out of the worktree, and none writes through one.

afterAll(async () => {
  await stopFakes();
  removeArenas();
});

const leaves = /leaves the worktree through a symbolic link/;

describe("a service repository committed with links", () => {
  test("a dangling link to outside: edit_file refuses to create its target", async () => {
    const a = arena();
    symlinkSync(join(a.outside, "created-by-attack.ts"), join(a.workspace, "src", "dangling.ts"));
    commitOnMain(a, ["src/dangling.ts"], "add a dangling link");
    const run = await attack(a, [
      ["edit_file", { path: "src/dangling.ts", new: "export const pwned = 1;\n" }],
    ]);
    expectRefused(run, 0, /symbolic link that leads nowhere: src\/dangling\.ts/);
    expectContained(a, run);
  });

  test("a link to a file outside: neither read_file nor edit_file goes through it", async () => {
    const a = arena();
    symlinkSync(join(a.outside, "precious.txt"), join(a.workspace, "src", "outside.ts"));
    commitOnMain(a, ["src/outside.ts"], "add a link to outside");
    const run = await attack(a, [
      ["read_file", { path: "src/outside.ts" }],
      ["edit_file", { path: "src/outside.ts", old: "precious", new: "pwned" }],
      ["edit_file", { path: "src/outside.ts", new: "pwned\n" }],
    ]);
    expectRefused(run, 0, leaves);
    expectRefused(run, 1, leaves);
    expectRefused(run, 2, leaves);
    expect(run.sent()).not.toContain(`precious-content-${a.id}`);
    expectContained(a, run);
  });

  test("a link to a directory outside: no file is written or listed under it", async () => {
    const a = arena();
    symlinkSync(a.outside, join(a.workspace, "vendor"));
    commitOnMain(a, ["vendor"], "vendor outside");
    const run = await attack(a, [
      ["edit_file", { path: "vendor/nested/keep.ts", new: "export const keep = 2;\n" }],
      ["edit_file", { path: "vendor/new-file.ts", new: "export {};\n" }],
      ["list_files", { path: "vendor" }],
      ["search_code", { pattern: "precious", path: "vendor" }],
    ]);
    expectRefused(run, 0, leaves);
    expectRefused(run, 1, leaves);
    expectRefused(run, 2, leaves);
    expectRefused(run, 3, leaves);
    expectContained(a, run);
  });

  test("links into .git (the main repository's hooks, the worktree's .git file) are refused", async () => {
    const a = arena();
    symlinkSync(join(a.workspace, ".git", "hooks"), join(a.workspace, "hooks"));
    symlinkSync(".git", join(a.workspace, "gitfile"));
    commitOnMain(a, ["hooks", "gitfile"], "links into .git");
    const run = await attack(a, [
      ["edit_file", { path: "hooks/post-commit", new: `#!/bin/sh\ntouch ${a.hostMarkers[0]}\n` }],
      ["read_file", { path: "gitfile" }],
      ["edit_file", { path: "src/notes.md", new: "a commit that would run the hook\n" }],
    ]);
    expectRefused(run, 0, leaves);
    expectRefused(run, 1, /the \.git directory is not accessible to tools/);
    expect(String(run.output(2))).toMatch(/^committed [0-9a-f]{12} on ticket\/1$/);
    expectContained(a, run);
  });

  test("the shared node_modules (a link to the workspace's) is neither writable nor readable through the link", async () => {
    const a = arena();
    const run = await attack(a, [
      ["edit_file", { path: "node_modules/zod/index.js", new: "module.exports = {};\n" }],
      ["edit_file", { path: "node_modules/evil/index.js", new: "module.exports = {};\n" }],
      ["read_file", { path: "node_modules/zod/package.json" }],
      ["list_files", { path: "node_modules" }],
    ]);
    for (const n of [0, 1, 2, 3]) expectRefused(run, n, leaves);
    expectContained(a, run);
  });
});

describe.skipIf(needsSandbox)("links planted by test code during run_tests", () => {
  test("edit_file refuses every link and hard link the tests left behind; the sandbox refuses node_modules", async () => {
    const a = arena();
    const code = hostileTest(`
  await attempt("plant a file link", () => fs.symlinkSync(${q(join(a.outside, "precious.txt"))}, "src/planted.ts"));
  await attempt("plant a dir link", () => fs.symlinkSync(${q(a.outside)}, "src/planted-dir"));
  await attempt("plant a dangling link", () => fs.symlinkSync(${q(join(a.outside, "new.ts"))}, "src/planted-dangling.ts"));
  await attempt("hard link inside the tree", () => fs.linkSync("src/bucket.ts", "src/hard.ts"));
  await attempt("hard link to node_modules", () => fs.linkSync("node_modules/zod/index.js", "src/zod-hard.js"));
  await attempt("write node_modules", () => fs.writeFileSync("node_modules/zod/index.js", "module.exports = {};"));
  await attempt("add to node_modules", () => fs.writeFileSync("node_modules/evil.js", "pwned"));`);
    const run = await attack(
      a,
      [
        ["edit_file", { path: HOSTILE_PATH, new: code }],
        ["run_tests", {}],
        ["edit_file", { path: "src/planted.ts", new: "pwned\n" }],
        ["edit_file", { path: "src/planted-dir/nested/keep.ts", new: "pwned\n" }],
        ["edit_file", { path: "src/planted-dangling.ts", new: "pwned\n" }],
        ["read_file", { path: "src/planted.ts" }],
        ["edit_file", { path: "src/hard.ts", new: "pwned\n" }],
      ],
      { policy: permissivePolicy },
    );
    const report = hostileReport(run, 1);
    expect(report["plant a file link"]).toStartWith("SUCCEEDED"); // inside the worktree, which is writable
    expect(report["hard link inside the tree"]).toStartWith("SUCCEEDED");
    expect(report["hard link to node_modules"]).toMatch(/^blocked (EXDEV|EROFS|EPERM)/);
    expect(report["write node_modules"]).toMatch(/^blocked (EROFS|EACCES|EPERM)/);
    expect(report["add to node_modules"]).toMatch(/^blocked (EROFS|EACCES|EPERM)/);
    expectRefused(
      run,
      2,
      /src\/planted\.ts is a symbolic link; tools do not write through links|leaves the worktree/,
    );
    expectRefused(run, 3, leaves);
    expectRefused(run, 4, /leads nowhere/);
    expectRefused(run, 5, leaves);
    expectRefused(run, 6, /has other hard links; tools do not write such files/);
    expect(run.sent()).not.toContain(`precious-content-${a.id}`);
    expectContained(a, run);
  }, 30_000);
});

describe("Harness's own readers and writers outside the file tools", () => {
  test("update_config does not write through a committed limits.yaml link to a file outside", async () => {
    const a = arena();
    writeFileSync(join(a.outside, "precious.yaml"), `# precious-${a.id}\ndomain: default\n`);
    rmSync(join(a.workspace, LIMITS_FILE));
    symlinkSync(join(a.outside, "precious.yaml"), join(a.workspace, LIMITS_FILE));
    commitOnMain(a, [LIMITS_FILE], "limits live elsewhere");
    // A small change, within every bound and with no untrusted value: the policy lets it run on its own.
    const content = "domain: default\ndefault:\n  name: default\n  capacity: 120\n  refill_per_second: 10\n";
    const run = await attack(a, [
      ["get_config", {}],
      ["update_config", { content, reason: "a little more headroom" }],
    ]);
    // The file outside keeps its content, and the model never read it.
    expect(readFileSync(join(a.outside, "precious.yaml"), "utf8")).toBe(
      `# precious-${a.id}\ndomain: default\n`,
    );
    expect(run.sent()).not.toContain(`precious-${a.id}`);
    expectRefused(run, 1, /symbolic link/);
    expectContained(a, run);
  }, 30_000);

  test("the brief's code map lists no file through a committed link to a directory outside", async () => {
    const a = arena();
    symlinkSync(a.outside, join(a.workspace, "docs-outside"));
    commitOnMain(a, ["docs-outside"], "docs live elsewhere");
    const run = await attack(a, [["list_files", { path: "src" }]]);
    const brief = String(run.fake.requests[0]?.raw);
    expect(brief).toContain("src/main.ts");
    // Names (and sizes) of files outside the workspace are not the model's to see.
    const throughLink = [...brief.matchAll(/docs-outside\/[^"\\]+/g)].map((m) => m[0]);
    expect(throughLink).toEqual([]);
    expectContained(a, run);
  });
});
