import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { foldName, pathSegments, resolveForRead, resolveForWrite } from "./paths";

const base = mkdtempSync(join(tmpdir(), "harness-paths-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const ws = join(base, "tree");
mkdirSync(join(ws, "src", "sub"), { recursive: true });
mkdirSync(join(ws, ".git"));
writeFileSync(join(ws, "src", "a.ts"), "x");
writeFileSync(join(base, "outside.txt"), "secret");
symlinkSync("/etc", join(ws, "etc-link"));
symlinkSync(join(ws, "src"), join(ws, "src-link"));
symlinkSync(join(base, "does-not-exist-yet"), join(ws, "dangling"));
symlinkSync(join(base, "outside.txt"), join(ws, "src", "out-file"));
symlinkSync("a.ts", join(ws, "src", "in-file"));
symlinkSync(".git", join(ws, "git-alias"));
symlinkSync("../../..", join(ws, "src", "sub", "up"));

test.each([
  ["src/a.ts", true],
  ["./src/a.ts", true],
  ["src//a.ts", true],
  ["src/new/deep/file.ts", true],
  ["src-link/a.ts", true],
  ["src/in-file", true],
  ["/etc/passwd", false],
  ["~/x", false],
  ["../outside.txt", false],
  ["src/../../x", false],
  ["src/\uff0e\uff0e/x", false], // fullwidth dots fold to ..
  ["src\\..\\..\\x", false],
  ["etc-link/passwd", false],
  ["etc-link/new-file", false],
  ["dangling", false],
  ["dangling/child", false],
  ["src/out-file", false],
  ["src/sub/up/outside.txt", false],
  ["git-alias/config", false],
  [".git/config", false],
  ["./.git", false],
  ["src/.git/config", false],
  [".GIT/config", false],
  [".Git", false],
  [".git./config", false],
  [".git /config", false],
  ["\uff0e\uff47\uff49\uff54/config", false], // fullwidth .git
  [".g\u200bit/config", false], // zero-width space inside
  ["\u200c.git/HEAD", false],
  ["GIT~1/config", false],
  ["a\0b", false],
  ["a\nb", false],
])("resolveForRead(%p) allowed=%p", (path, allowed) => {
  if (allowed) expect(resolveForRead(ws, path).full.startsWith(ws)).toBe(true);
  else expect(() => resolveForRead(ws, path)).toThrow();
});

test.each([
  ["src/a.ts", true],
  ["src/new/file.ts", true],
  ["src/in-file", false], // a link, even an in-tree one, is never written through
  ["src/out-file", false],
  ["dangling", false],
  ["src", false],
  [".gitattributes", false],
  ["src/.gitattributes", false],
  [".gitmodules", false],
  [".GitAttributes", false],
])("resolveForWrite(%p) allowed=%p", (path, allowed) => {
  if (allowed) expect(resolveForWrite(ws, path).full.startsWith(ws)).toBe(true);
  else expect(() => resolveForWrite(ws, path)).toThrow();
});

test("refusals never name a host path", () => {
  for (const p of ["src/out-file", "dangling/x", "etc-link/passwd", "src/sub/up/x"]) {
    try {
      resolveForRead(ws, p);
      throw new Error("resolved");
    } catch (err) {
      expect((err as Error).message).not.toContain(base);
      expect((err as Error).message).not.toContain("/etc");
    }
  }
});

test("names are folded the way file systems and people read them", () => {
  expect(foldName("\uff0e\uff47\uff49\uff54")).toBe(".git");
  expect(foldName(".GIT. . ")).toBe(".git");
  expect(foldName("\ufeff.git")).toBe(".git");
  expect(pathSegments("./a//b/./c")).toEqual(["a", "b", "c"]);
});
