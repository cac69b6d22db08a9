import { join } from "node:path";
import { dependencyMounts, type Sandbox, type SandboxLimits } from "../sandbox/sandbox";

export interface TestRun {
  ok: boolean;
  exitCode: number;
  command: string;
  output: string;
  /** Whether bubblewrap confined the run (false: environment and limits only). */
  sandboxed: boolean;
}

/** The operator's test command when harness.yaml names none: Bun's test runner over the worktree. */
export const defaultTestCommand = ["bun", "test"];

/**
 * Runs the operator's test command (`service.test_command`) in the worktree, in the sandbox. The command comes
 * from Harness's config, never from a file the model can edit: a `scripts.test` in package.json is not read,
 * so a script cannot turn the test run into a shell.
 */
export async function runServiceTests(
  sandbox: Sandbox,
  dir: string,
  command: readonly string[] = defaultTestCommand,
  limits?: Partial<SandboxLimits>,
): Promise<TestRun> {
  const r = await sandbox.run({
    argv: [...command],
    cwd: dir,
    readOnly: dependencyMounts(dir),
    protect: [join(dir, ".git")],
    env: { NODE_ENV: "test", CI: "true" },
    ...(limits ? { limits } : {}),
  });
  return {
    ok: r.ok,
    exitCode: r.exitCode,
    command: command.join(" "),
    output: r.output,
    sandboxed: r.sandboxed,
  };
}
