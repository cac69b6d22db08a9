import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSandbox } from "../sandbox/sandbox";
import { commitForTicket, ticketBranch } from "../workspace/git";
import { ensureWorkspace } from "../workspace/workspace";
import { ticketWorktree } from "../workspace/worktree";
import { buildCheck, dependenciesChanged, typeCheck } from "./check";

const sandbox = defaultSandbox();

// A real workspace of the bundled rate limiter, with ticket branches as the agent makes them.
const ws = ensureWorkspace(join(mkdtempSync(join(tmpdir(), "harness-check-")), "rate-limiter")).dir;

test("the build step compiles the entry point and its imports, and names what does not resolve", async () => {
  const good = ticketWorktree(ws, 1);
  expect(await buildCheck(sandbox, good)).toMatchObject({ ok: true });
  const broken = ticketWorktree(ws, 2);
  const entry = join(broken, "src", "main.ts");
  writeFileSync(entry, `import { nothing } from "./nowhere";\nvoid nothing;\n${readFileSync(entry, "utf8")}`);
  const r = await buildCheck(sandbox, broken);
  expect(r.ok).toBe(false);
  expect(r.output).toMatch(/nowhere/);
});

test("a dependency change is noticed against main; other changes are not", () => {
  const dir = ticketWorktree(ws, 3);
  writeFileSync(join(dir, "NOTES.md"), "notes\n");
  commitForTicket(dir, 3, ["NOTES.md"], "notes");
  expect(dependenciesChanged(ws, ticketBranch(3))).toBe(false);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  pkg.dependencies["left-pad"] = "1.3.0";
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  commitForTicket(dir, 3, ["package.json"], "add a dependency");
  expect(dependenciesChanged(ws, ticketBranch(3))).toBe(true);
});

test("a workspace that carries TypeScript is type-checked; one without it is not", async () => {
  expect(await typeCheck(sandbox, ticketWorktree(ws, 4))).toBeNull();
  const dir = mkdtempSync(join(tmpdir(), "harness-tsc-"));
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "node_modules"));
  // The harness's own TypeScript stands in for the one a user's repository would carry.
  symlinkSync(
    join(import.meta.dir, "../../node_modules/typescript"),
    join(dir, "node_modules", "typescript"),
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ["src"] }),
  );
  writeFileSync(join(dir, "src", "main.ts"), "export const n: number = 1;\n");
  expect(await typeCheck(sandbox, dir)).toMatchObject({ ok: true });
  writeFileSync(join(dir, "src", "main.ts"), 'export const n: number = "one";\n');
  const bad = await typeCheck(sandbox, dir);
  expect(bad?.ok).toBe(false);
  expect(bad?.output).toMatch(/not assignable to type 'number'/);
});
