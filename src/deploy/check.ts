import { existsSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dependencyMounts, type Sandbox } from "../sandbox/sandbox";
import { git } from "../workspace/git";
import { runServiceTests } from "../workspace/tests";

export interface CheckStep {
  ok: boolean;
  output: string;
}

/**
 * Runs the harness binary as Bun (never a shell) in `dir`, in the sandbox: the branch's code is the model's,
 * and a check runs it (tests, the type checker's plugins, bundler macros if they were on).
 */
async function runAsBun(
  sandbox: Sandbox,
  dir: string,
  args: string[],
  title: string,
  network: "loopback" | "host" = "loopback",
): Promise<CheckStep> {
  const r = await sandbox.run({
    argv: ["bun", ...args],
    cwd: dir,
    readOnly: dependencyMounts(dir),
    protect: [join(dir, ".git")],
    network,
  });
  return { ok: r.ok, output: `${title}\n${r.output}`.trim() };
}

/** Whether a branch changes the service's dependency manifest or lockfile compared with main. */
export function dependenciesChanged(workspace: string, branch: string): boolean {
  const diff = git(workspace, [
    "diff",
    "--name-only",
    `main...${branch}`,
    "--",
    "package.json",
    "bun.lock",
    "bun.lockb",
  ]);
  return diff.ok && diff.stdout.trim() !== "";
}

/**
 * Installs the branch's dependencies into its own worktree (never into the shared node_modules the running
 * version uses), through the harness binary. Needs the registry, or the packages in Bun's cache.
 */
export async function installDependencies(sandbox: Sandbox, dir: string): Promise<CheckStep> {
  const modules = join(dir, "node_modules");
  try {
    if (lstatSync(modules).isSymbolicLink()) unlinkSync(modules);
  } catch {
    // no node_modules yet
  }
  // The registry is the one place a check may reach beyond loopback; lifecycle scripts stay off.
  return runAsBun(
    sandbox,
    dir,
    ["install", "--ignore-scripts"],
    "bun install (dependencies changed)",
    "host",
  );
}

/**
 * Compiles the service's entry point and everything it imports (Bun's bundler): a syntax error or an import
 * that does not resolve fails here, before any test runs, whichever files the tests happen to load. The
 * bundler runs in the sandbox with macros off: a macro is code the bundler executes, and the branch is the
 * model's.
 */
export async function buildCheck(sandbox: Sandbox, dir: string): Promise<CheckStep> {
  // Packages stay external: the vendored bundles are checked by running, not re-bundled here. The output
  // goes to a directory of ours (inside the sandbox, its private /tmp) and is thrown away.
  const out = mkdtempSync(join(tmpdir(), "harness-build-"));
  const r = await runAsBun(
    sandbox,
    dir,
    ["build", "--no-macros", "--target", "bun", "--packages", "external", "--outdir", out, "src/main.ts"],
    "build: src/main.ts and its imports",
  ).finally(() => rmSync(out, { recursive: true, force: true }));
  if (r.ok) return { ok: true, output: "build: src/main.ts and its imports compile" };
  return { ok: false, output: r.output.replace(/^build: src\/main.ts and its imports/, "build failed:") };
}

/**
 * Type-checks with the workspace's own TypeScript compiler when it has one (`node_modules/typescript`, run
 * through the harness binary as Bun). The bundled rate limiter vendors only its runtime packages, so there
 * the build step is the check; a workspace that carries TypeScript gets `tsc --noEmit` as well.
 */
export async function typeCheck(sandbox: Sandbox, dir: string): Promise<CheckStep | null> {
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc) || !existsSync(join(dir, "tsconfig.json"))) return null;
  return runAsBun(sandbox, dir, [tsc, "--noEmit", "-p", "tsconfig.json"], "tsc --noEmit");
}

/** The tail of a check's output kept in the stage's record. */
const outputTail = 6000;

/**
 * The check stage, in order and stopping at the first failure: dependencies if the branch changed them, a
 * build of the entry point, the type check when the workspace has one, then the operator's test command.
 */
export async function runChecks(
  sandbox: Sandbox,
  workspaceDir: string,
  dir: string,
  branch: string,
  testCommand: readonly string[] | undefined,
): Promise<CheckStep> {
  const parts: string[] = [];
  const failed = () => ({ ok: false, output: parts.join("\n\n").slice(-outputTail) });
  if (dependenciesChanged(workspaceDir, branch)) {
    const installed = await installDependencies(sandbox, dir);
    parts.push(installed.output);
    if (!installed.ok) return failed();
  }
  const built = await buildCheck(sandbox, dir);
  parts.push(built.output);
  if (!built.ok) return failed();
  const typed = await typeCheck(sandbox, dir);
  if (typed) {
    parts.push(typed.output);
    if (!typed.ok) return failed();
  }
  const r = await runServiceTests(sandbox, dir, testCommand);
  parts.push(r.output.slice(-outputTail));
  return { ok: r.ok, output: parts.join("\n\n").slice(-outputTail) };
}
