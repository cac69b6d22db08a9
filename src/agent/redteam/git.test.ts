import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../workspace/git";
import { ticketWorktree } from "../../workspace/worktree";
import { type Arena, arena, needsSandbox, removeArenas } from "./arena";
import { expectContained, expectRefused, hostileReport } from "./checks";
import { HOSTILE_PATH, hostileTest, q } from "./hostile";
import { attack, permissivePolicy, stopFakes } from "./run";

// Class 3: git config, attributes and hooks. No file a tool or a test can write makes git run a program:
// tools cannot write git's control files, the sandbox keeps the worktree's .git file read-only, and a
// repository whose config names a driver, an include or another work tree is refused before git reads it.

afterAll(async () => {
  await stopFakes();
  removeArenas();
});

/** A git config value running a program that leaves a marker (quoted: `;` would start a comment). */
const touch = (a: Arena) => `"sh -c 'touch ${a.hostMarkers[0]}; cat'"`;

describe("git control files are not writable by tools", () => {
  const cases: [string, string][] = [
    [".gitattributes", "* filter=x diff=x\n"],
    ["src/.gitattributes", "*.ts filter=x\n"],
    [".GitAttributes", "* filter=x\n"],
    [".gitmodules", '[submodule "x"]\n\tpath = x\n\turl = ext::sh -c touch% /tmp/pwned\n'],
  ];
  for (const [path, content] of cases) {
    test(`edit_file ${path}`, async () => {
      const a = arena();
      const run = await attack(a, [["edit_file", { path, new: content }]]);
      expectRefused(run, 0, /chooses git drivers and submodules; tools may not write it/);
      expectContained(a, run);
    });
  }
});

describe("git's own directory is not writable by tools, whatever the file", () => {
  const cases: [string, string][] = [
    [".git/config", '[filter "x"]\n\tclean = "sh -c touch% /tmp/pwned"\n'],
    [".git/hooks/post-commit", "#!/bin/sh\ntouch /tmp/pwned\n"],
    [".git/info/attributes", "* filter=x\n"],
    [".git", "gitdir: /tmp/crafted\n"],
  ];
  for (const [path, content] of cases) {
    test(`edit_file ${path}`, async () => {
      const a = arena();
      const run = await attack(a, [["edit_file", { path, new: content }]]);
      expectRefused(run, 0, /the \.git directory is not accessible to tools/);
      expectContained(a, run);
    });
  }
});

describe("a repository config that names a program is refused before git runs", () => {
  // Written straight into the repository's config, as a test running without the sandbox could.
  const cases: [string, (a: Arena) => void, RegExp][] = [
    [
      "filter.x.clean with an attribute selecting it",
      (a) => {
        appendFileSync(join(a.workspace, ".git", "config"), `[filter "x"]\n\tclean = ${touch(a)}\n`);
        writeFileSync(join(a.workspace, ".git", "info", "attributes"), "* filter=x\n");
      },
      /sets filter\.x\.clean, which could run a program; Harness refuses to use it/,
    ],
    [
      "filter.x.process (a long-running filter)",
      (a) => {
        appendFileSync(join(a.workspace, ".git", "config"), `[filter "x"]\n\tprocess = ${touch(a)}\n`);
        writeFileSync(join(a.workspace, ".git", "info", "attributes"), "* filter=x\n");
      },
      /sets filter\.x\.process/,
    ],
    [
      "diff.x.textconv",
      (a) => {
        appendFileSync(join(a.workspace, ".git", "config"), `[diff "x"]\n\ttextconv = ${touch(a)}\n`);
        writeFileSync(join(a.workspace, ".git", "info", "attributes"), "* diff=x\n");
      },
      /sets diff\.x\.textconv/,
    ],
    [
      "include.path naming a config outside",
      (a) => {
        writeFileSync(join(a.outside, "evil.gitconfig"), `[filter "x"]\n\tclean = ${touch(a)}\n`);
        appendFileSync(
          join(a.workspace, ".git", "config"),
          `[include]\n\tpath = ${join(a.outside, "evil.gitconfig")}\n`,
        );
        writeFileSync(join(a.workspace, ".git", "info", "attributes"), "* filter=x\n");
      },
      /sets include\.path/,
    ],
    [
      "core.worktree pointing outside",
      (a) => appendFileSync(join(a.workspace, ".git", "config"), `[core]\n\tworktree = ${a.outside}\n`),
      /sets core\.worktree/,
    ],
    [
      "core.sshCommand",
      (a) => appendFileSync(join(a.workspace, ".git", "config"), `[core]\n\tsshCommand = ${touch(a)}\n`),
      /sets core\.sshcommand/i,
    ],
    [
      "a worktree's own config.worktree with a filter",
      (a) => {
        ticketWorktree(a.workspace, 1);
        appendFileSync(join(a.workspace, ".git", "config"), "[extensions]\n\tworktreeConfig = true\n");
        writeFileSync(
          join(a.workspace, ".git", "worktrees", "ticket-1", "config.worktree"),
          `[filter "x"]\n\tclean = ${touch(a)}\n`,
        );
        writeFileSync(join(a.workspace, ".git", "info", "attributes"), "* filter=x\n");
      },
      /sets filter\.x\.clean/,
    ],
  ];
  for (const [name, plant, why] of cases) {
    test(name, async () => {
      const a = arena();
      plant(a);
      a.seal();
      const run = await attack(a, [["edit_file", { path: "src/notes.md", new: "a note\n" }]]);
      expectRefused(run, 0, why);
      expectContained(a, run);
    });
  }
});

describe.skipIf(needsSandbox)("test code aims at git through the worktree", () => {
  test("it cannot repoint the worktree's .git file at a crafted gitdir; git keeps using the real one", async () => {
    const a = arena();
    const marker = a.hostMarkers[0] as string;
    const code = hostileTest(`
  const original = fs.readFileSync(".git", "utf8");
  // A gitdir of its own, shaped like a worktree's admin directory, whose config runs a filter.
  fs.mkdirSync("evil/.git/worktrees/x/refs", { recursive: true });
  fs.writeFileSync("evil/.git/worktrees/x/gitdir", process.cwd() + "/.git\\n");
  fs.writeFileSync("evil/.git/worktrees/x/HEAD", "ref: refs/heads/main\\n");
  fs.writeFileSync("evil/.git/config", ${q(`[filter "x"]\n\tclean = "sh -c 'touch ${marker}; cat'"\n`)});
  await attempt("overwrite .git", () => fs.writeFileSync(".git", "gitdir: evil/.git/worktrees/x\\n"));
  await attempt("remove .git", () => fs.rmSync(".git"));
  await attempt("rename .git", () => fs.renameSync(".git", "git-old"));
  await attempt("write .gitattributes", () => fs.writeFileSync(".gitattributes", "* filter=x\\n"));
  await attempt(".git unchanged", () => { if (fs.readFileSync(".git", "utf8") !== original) throw new Error("changed"); });`);
    const run = await attack(
      a,
      [
        ["edit_file", { path: HOSTILE_PATH, new: code }],
        ["run_tests", {}],
        ["edit_file", { path: "src/notes.md", new: "after the tests\n" }],
      ],
      { policy: permissivePolicy },
    );
    const report = hostileReport(run, 1);
    expect(report["overwrite .git"]).toMatch(/^blocked (EROFS|EBUSY|EPERM|EACCES)/);
    expect(report["remove .git"]).toMatch(/^blocked (EROFS|EBUSY|EPERM|EACCES)/);
    expect(report["rename .git"]).toMatch(/^blocked (EROFS|EBUSY|EPERM|EACCES|EXDEV)/);
    expect(report[".git unchanged"]).toStartWith("SUCCEEDED");
    expect(readFileSync(join(a.worktree(), ".git"), "utf8")).toMatch(
      /^gitdir: .*\/\.git\/worktrees\/ticket-1\n?$/,
    );
    // The next edit commits through the real admin directory; the crafted filter never ran.
    expect(String(run.output(2))).toMatch(/^committed [0-9a-f]{12} on ticket\/1$/);
    expect(git(a.workspace, ["log", "-1", "--format=%s", "ticket/1"]).stdout.trim()).toBe(
      "Edit src/notes.md",
    );
    expectContained(a, run);
  }, 30_000);

  test("a nested .git file pointing at a crafted gitdir with a filter and fsmonitor runs nothing", async () => {
    const a = arena();
    const marker = a.hostMarkers[0] as string;
    const config = `[core]\n\tfsmonitor = "touch ${marker}"\n[filter "x"]\n\tclean = "sh -c 'touch ${marker}; cat'"\n`;
    const code = hostileTest(`
  await attempt("crafted gitdir", () => {
    fs.mkdirSync("crafted/objects", { recursive: true });
    fs.mkdirSync("crafted/refs", { recursive: true });
    fs.writeFileSync("crafted/HEAD", "ref: refs/heads/main\\n");
    fs.writeFileSync("crafted/config", ${q(config)});
  });
  await attempt("nested .git file", () => { fs.mkdirSync("sub"); fs.writeFileSync("sub/.git", "gitdir: ../crafted\\n"); });
  await attempt("attributes", () => { fs.writeFileSync("sub/.gitattributes", "* filter=x\\n"); fs.writeFileSync(".gitattributes", "* filter=x diff=x\\n"); });`);
    const run = await attack(
      a,
      [
        ["edit_file", { path: HOSTILE_PATH, new: code }],
        ["run_tests", {}],
        ["edit_file", { path: "sub/notes.md", new: "inside the nested repository\n" }],
        ["edit_file", { path: "NOTES.md", new: "beside it\n" }],
        ["search_code", { pattern: "fsmonitor" }],
      ],
      { policy: permissivePolicy },
    );
    expect(Object.values(hostileReport(run, 1)).every((r) => r.startsWith("SUCCEEDED"))).toBe(true);
    expect(String(run.output(3))).toMatch(/^committed [0-9a-f]{12} on ticket\/1$/);
    expectContained(a, run);
  }, 30_000);
});
