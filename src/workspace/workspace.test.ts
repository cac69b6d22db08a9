import { expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "./git";
import { ensureWorkspace, LIMITS_FILE } from "./workspace";

const tmp = () => mkdtempSync(join(tmpdir(), "harness-ws-"));

test("service.repo: the workspace is a clone of the user's repository, on main, with a limits file", () => {
  // The user's repository: the rate limiter with a commit of their own, on a branch called trunk.
  const upstream = ensureWorkspace(join(tmp(), "upstream")).dir;
  rmSync(join(upstream, LIMITS_FILE));
  writeFileSync(join(upstream, "NOTES.md"), "ours\n");
  git(upstream, ["add", "-A"]);
  git(upstream, ["commit", "-q", "-m", "Our own change"]);
  git(upstream, ["branch", "-q", "-m", "main", "trunk"]);
  const ws = ensureWorkspace(join(tmp(), "workspace", "rate-limiter"), { repo: upstream });
  expect(ws.created).toBe(true);
  expect(git(ws.dir, ["rev-parse", "--abbrev-ref", "HEAD"]).stdout.trim()).toBe("main");
  expect(git(ws.dir, ["log", "--format=%s"]).stdout).toContain("Our own change");
  expect(existsSync(join(ws.dir, LIMITS_FILE))).toBe(true);
  expect(existsSync(join(ws.dir, "node_modules"))).toBe(true);
  // Nothing untracked: the vendored packages are excluded locally, the limits file is committed.
  expect(git(ws.dir, ["status", "--porcelain"]).stdout.trim()).toBe("");
  // A second start keeps the workspace as it is.
  expect(ensureWorkspace(ws.dir, { repo: upstream })).toMatchObject({ created: false, commit: ws.commit });
});

test("service.repo errors say what is wrong, and nothing is half-created", () => {
  const empty = tmp();
  mkdirSync(join(empty, "docs"));
  writeFileSync(join(empty, "docs", "x.md"), "x");
  git(empty, ["init", "-q", "-b", "main"]);
  git(empty, ["add", "-A"]);
  git(empty, ["commit", "-q", "-m", "x"]);
  const target = join(tmp(), "ws");
  expect(() => ensureWorkspace(target, { repo: empty })).toThrow(/has no src\/main\.ts/);
  expect(existsSync(target)).toBe(false);
  expect(() => ensureWorkspace(join(tmp(), "ws"), { repo: join(tmp(), "missing") })).toThrow(/cannot clone/);
  expect(() => ensureWorkspace(join(tmp(), "ws"), { repo: "--upload-pack=touch /tmp/pwned" })).toThrow(
    /cannot clone/,
  );
  expect(existsSync("/tmp/pwned")).toBe(false);
});
