import { readdirSync, readFileSync } from "node:fs";

/**
 * What a process tree uses, read from /proc: resident memory and CPU time, summed over the root and every
 * live descendant (a reaped child's CPU time is in its parent's cutime/cstime, so nothing is counted twice).
 * Linux only; elsewhere `available` is false and the caller says that the limits do not hold.
 */

export interface TreeUsage {
  pids: number[];
  rssBytes: number;
  cpuMs: number;
}

const pageSize = 4096;
const ticksPerSecond = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
}

/** Parses /proc/PID/stat; the command name may hold spaces and parentheses, so split after the last ")". */
export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const pid = Number.parseInt(text, 10);
  const f = text.slice(close + 2).split(" ");
  // Fields after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  const ppid = Number(f[1]);
  const cpu = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(cpu)) return null;
  return { pid, ppid, cpuTicks: cpu };
}

export const procAvailable = (() => {
  try {
    readFileSync("/proc/self/stat", "utf8");
    return true;
  } catch {
    return false;
  }
})();

export function treeUsage(root: number): TreeUsage {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parseStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (s) stats.set(s.pid, s);
    } catch {
      // exited while we looked
    }
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const pids: number[] = [];
  const queue = stats.has(root) ? [root] : [];
  while (queue.length) {
    const pid = queue.pop() as number;
    pids.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  let rssBytes = 0;
  let ticks = 0;
  for (const pid of pids) {
    ticks += stats.get(pid)?.cpuTicks ?? 0;
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
      rssBytes += Number(statm[1]) * pageSize;
    } catch {
      // exited
    }
  }
  return { pids, rssBytes, cpuMs: (ticks * 1000) / ticksPerSecond };
}

/** Kills every process of the tree, leaves first, so none is left running under a dead parent. */
export function killTree(root: number): void {
  const { pids } = procAvailable ? treeUsage(root) : { pids: [root] };
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Processes whose environment carries `NAME=value`: a run's children that left its process tree (a double
 * fork, `setsid`) still carry the marker they inherited, unless they cleared their environment — which only
 * bubblewrap's PID namespace prevents.
 */
export function processesMarked(name: string, value: string): number[] {
  if (!procAvailable) return [];
  const needle = `${name}=${value}\0`;
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (env.includes(needle) || env.endsWith(needle.slice(0, -1))) out.push(Number(entry));
    } catch {
      // another user's, or exited
    }
  }
  return out;
}
