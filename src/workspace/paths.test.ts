import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { confine } from "./paths";

const ws = mkdtempSync(join(tmpdir(), "harness-ws-"));
mkdirSync(join(ws, "src"));
writeFileSync(join(ws, "src", "a.ts"), "x");
symlinkSync("/etc", join(ws, "etc-link"));
symlinkSync(join(ws, "src"), join(ws, "src-link"));

test.each([
  ["src/a.ts", true],
  ["src/new/deep/file.ts", true],
  ["src-link/a.ts", true],
  ["/etc/passwd", false],
  ["../outside.txt", false],
  ["src/../../x", false],
  ["etc-link/passwd", false],
  ["etc-link/new-file", false],
  [".git/config", false],
  ["a\0b", false],
])("confine(%p) allowed=%p", (path, allowed) => {
  if (allowed) expect(confine(ws, path).startsWith(ws)).toBe(true);
  else expect(() => confine(ws, path)).toThrow();
});
