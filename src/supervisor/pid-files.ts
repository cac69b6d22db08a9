import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** Remembers a child so that a harness started after a crash can find and stop it. */
export function writePidFile(path: string, pid: number): void {
  writeFileSync(path, String(pid));
}

/**
 * Stops the process a pid file names, if it still runs a command line containing `mustContain` (a pid can be
 * reused by an unrelated process), then removes the file. SIGTERM first, SIGKILL after 5 s. Returns the pid
 * stopped, or null.
 */
export async function reapPidFile(path: string, mustContain: string): Promise<number | null> {
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, "utf8").trim());
  rmSync(path, { force: true });
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return null; // gone already
  }
  if (!(pid > 0) || !cmdline.includes(mustContain)) return null;
  try {
    process.kill(pid, "SIGTERM");
    process.kill(pid, "SIGCONT");
  } catch {
    return null;
  }
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await Bun.sleep(50);
  if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
  return pid;
}
