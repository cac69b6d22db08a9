import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { bunChildEnv } from "../lib/child-env";
import type { Clock } from "../lib/clock";
import { reapPidFile, writePidFile } from "../supervisor/pid-files";
import { type CanaryVerdict, judgeCanary } from "./canary";
import { probeShared } from "./probe";

/** The canary stage: the commit on trial started beside the running version, probed, judged and stopped. */

const canaryPidFile = (stateDir: string) => join(stateDir, "canary.pid");

/** After a crash: stop a canary the dead harness left running (only if it runs from a ticket worktree). */
export function reapInterruptedCanary(stateDir: string, workspaceDir: string): Promise<number | null> {
  return reapPidFile(canaryPidFile(stateDir), join(dirname(workspaceDir), "worktrees"));
}

export interface CanaryRun {
  clock: Clock;
  /** The running instance's port, which the canary shares; none: there is nothing to compare with. */
  port: number | undefined;
  /** The worktree, at exactly the commit on trial. */
  dir: string;
  /** The operator's limits file; the canary reads it when it exists, as the instances do. */
  configPath: string;
  /** How long both versions are probed side by side. */
  ms: number;
  /** Where the canary's pid file lives, so a harness restarted after a crash can stop a left-over canary. */
  stateDir?: string | undefined;
}

export async function runCanary(run: CanaryRun): Promise<CanaryVerdict> {
  const { clock, port, dir } = run;
  if (port === undefined) return { ok: false, reason: "no running instance to compare with" };
  const name = `canary-${clock.now().toString(36)}`;
  // The canary listens on the running instance's own port, beside it: a share of real traffic reaches it.
  const proc = Bun.spawn(
    [
      process.execPath,
      join(dir, "src", "main.ts"),
      "--port",
      String(port),
      "--instance",
      name,
      // As long as an instance's handover: keep-alive clients are told to reconnect elsewhere first.
      "--drain-ms",
      "1000",
      ...(existsSync(run.configPath) ? ["--config", run.configPath] : []),
    ],
    { cwd: dir, env: bunChildEnv(), stdout: "ignore", stderr: "ignore" },
  );
  if (run.stateDir) writePidFile(canaryPidFile(run.stateDir), proc.pid);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  try {
    // Ready when a /readyz answered by the canary says so (new connections reach either process).
    let ready = false;
    for (let i = 0; i < 200 && !ready && !exited; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
        headers: { connection: "close" },
      }).catch(() => null);
      ready = res?.ok === true && res.headers.get("x-instance") === name;
      if (!ready) await clock.sleep(50);
    }
    if (!ready)
      return { ok: false, reason: exited ? "the canary exited at start" : "the canary never became ready" };
    const { old, fresh } = await probeShared(clock, port, run.ms, name);
    if (old.requests === 0)
      return { ok: false, reason: "the running version answered no probe to compare with" };
    return judgeCanary(old, fresh);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    if (run.stateDir) rmSync(canaryPidFile(run.stateDir), { force: true });
  }
}
