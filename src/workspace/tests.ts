import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface TestRun {
  ok: boolean;
  exitCode: number;
  command: string;
  output: string;
}

/**
 * Runs the workspace's declared test command (`scripts.test`), only in its `bun …` form and through the
 * harness binary itself: never a shell, never model text as arguments.
 */
export async function runDeclaredTests(dir: string, timeoutMs = 300_000): Promise<TestRun> {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts?: { test?: string } };
  const command = pkg.scripts?.test ?? "bun test";
  const argv = command.trim().split(/\s+/);
  if (argv[0] !== "bun")
    return { ok: false, exitCode: -1, command, output: `unsupported test command: ${command}` };
  const proc = Bun.spawn([process.execPath, ...argv.slice(1)], {
    cwd: dir,
    env: { ...process.env, BUN_BE_BUN: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: timeoutMs,
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { ok: code === 0, exitCode: code, command, output: `${out}\n${err}`.trim() };
}
