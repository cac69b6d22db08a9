import { existsSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "../workspace/git";

export interface CheckStep {
  ok: boolean;
  output: string;
}

/** Runs the harness binary as Bun (never a shell) in `dir`, with a five-minute limit. */
async function runAsBun(dir: string, args: string[], title: string): Promise<CheckStep> {
  const proc = Bun.spawn([process.execPath, ...args], {
    cwd: dir,
    env: { ...process.env, BUN_BE_BUN: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 300_000,
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { ok: code === 0, output: `${title}\n${out}\n${err}`.trim() };
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
export async function installDependencies(dir: string): Promise<CheckStep> {
  const modules = join(dir, "node_modules");
  try {
    if (lstatSync(modules).isSymbolicLink()) unlinkSync(modules);
  } catch {
    // no node_modules yet
  }
  return runAsBun(dir, ["install"], "bun install (dependencies changed)");
}

/**
 * Compiles the service's entry point and everything it imports (Bun's bundler): a syntax error or an import
 * that does not resolve fails here, before any test runs, whichever files the tests happen to load.
 */
export async function buildCheck(dir: string): Promise<CheckStep> {
  const out = mkdtempSync(join(tmpdir(), "harness-build-"));
  try {
    // Packages stay external: the vendored bundles are checked by running, not re-bundled here.
    const r = await Bun.build({
      entrypoints: [join(dir, "src", "main.ts")],
      target: "bun",
      outdir: out,
      packages: "external",
    });
    if (r.success) return { ok: true, output: "build: src/main.ts and its imports compile" };
    return { ok: false, output: `build failed:\n${r.logs.map((l) => String(l)).join("\n")}` };
  } catch (err) {
    // Bun.build throws an AggregateError for resolution failures.
    const e = err as { errors?: unknown[]; message: string };
    return {
      ok: false,
      output: `build failed:\n${(e.errors ?? [e.message]).map((x) => String(x)).join("\n")}`,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Type-checks with the workspace's own TypeScript compiler when it has one (`node_modules/typescript`, run
 * through the harness binary as Bun). The bundled rate limiter vendors only its runtime packages, so there
 * the build step is the check; a workspace that carries TypeScript gets `tsc --noEmit` as well.
 */
export async function typeCheck(dir: string): Promise<CheckStep | null> {
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc) || !existsSync(join(dir, "tsconfig.json"))) return null;
  return runAsBun(dir, [tsc, "--noEmit", "-p", "tsconfig.json"], "tsc --noEmit");
}
