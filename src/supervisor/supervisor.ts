import { join } from "node:path";
import type { Subprocess } from "bun";
import { bunChildEnv } from "../lib/child-env";
import type { Clock, TimerHandle } from "../lib/clock";
import { reapPidFile, writePidFile } from "./pid-files";

export type InstanceState = "starting" | "ready" | "backoff" | "crash_loop" | "stopped";

export interface InstanceStatus {
  name: string;
  port: number;
  pid: number | null;
  state: InstanceState;
  restarts: number;
  last_exit_code: number | null;
  started_at: number | null;
  version: string | null;
}

export interface SupervisorDeps {
  workspaceDir: string;
  stateDir: string;
  instances: number;
  basePort: number;
  host?: string;
  configPath?: string | undefined;
  version: () => string | null;
  /**
   * Start times, the crash window and the restart backoff. Waits on the child itself (its readiness, its
   * exit after SIGTERM) stay on real time: a fake clock cannot make a process boot or stop sooner.
   */
  clock: Clock;
  onLine?: (instance: string, stream: "stdout" | "stderr", line: string) => void;
  onEvent?: (instance: string, event: string, data: Record<string, unknown>) => void;
  /** Crash-loop threshold: this many exits within `crashWindowMs` marks the instance as crash-looping. */
  crashLoopAfter?: number;
  crashWindowMs?: number;
  maxBackoffMs?: number;
}

interface Instance {
  status: InstanceStatus;
  proc: Subprocess<"ignore", "pipe", "pipe"> | null;
  crashes: number[];
  timer: TimerHandle | null;
}

/** Loki's max_line_size: a service line longer than this is stored cut, with a marker saying so. */
export const MAX_SERVICE_LINE_CHARS = 256 * 1024;

/**
 * Splits a child's output into lines. A line is never held past MAX_SERVICE_LINE_CHARS: a service that writes
 * megabytes without a newline gets its first part logged as one line marked "[line truncated]", and the rest of
 * that line is dropped, so a child's output cannot grow the harness's memory.
 */
export async function pipeLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  let dropping = false;
  const take = (text: string) => {
    let start = 0;
    let nl = text.indexOf("\n");
    while (nl >= 0) {
      if (dropping) dropping = false;
      else onLine(buf + text.slice(start, nl));
      buf = "";
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    if (dropping) return;
    buf += text.slice(start);
    if (buf.length > MAX_SERVICE_LINE_CHARS) {
      onLine(`${buf.slice(0, MAX_SERVICE_LINE_CHARS)} [line truncated]`);
      buf = "";
      dropping = true;
    }
  };
  for await (const chunk of stream) take(decoder.decode(chunk, { stream: true }));
  take(decoder.decode());
  if (buf) onLine(buf);
}

export type Supervisor = ReturnType<typeof createSupervisor>;

/** Runs the service's instances as children of the harness and keeps them alive with backoff. */
export function createSupervisor(deps: SupervisorDeps) {
  const host = deps.host ?? "127.0.0.1";
  const crashLoopAfter = deps.crashLoopAfter ?? 5;
  const crashWindowMs = deps.crashWindowMs ?? 120_000;
  const maxBackoffMs = deps.maxBackoffMs ?? 30_000;
  let stopping = false;
  const instances: Instance[] = Array.from({ length: deps.instances }, (_, i) => ({
    status: {
      name: `rate-limiter-${i}`,
      port: deps.basePort + i,
      pid: null,
      state: "stopped",
      restarts: 0,
      last_exit_code: null,
      started_at: null,
      version: null,
    },
    proc: null,
    crashes: [],
    timer: null,
  }));

  const emit = (inst: Instance, event: string, data: Record<string, unknown> = {}) =>
    deps.onEvent?.(inst.status.name, event, data);

  async function waitReady(inst: Instance, proc: Subprocess, listening: Promise<boolean>): Promise<boolean> {
    // With reusePort an older process may answer on the same port: wait for this process's own "listening".
    if (!(await listening)) return false;
    const url = `http://${host}:${inst.status.port}/readyz`;
    for (let i = 0; i < 150 && inst.proc === proc && !stopping; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          inst.status.state = "ready";
          emit(inst, "ready", { pid: proc.pid });
          return true;
        }
      } catch {
        // not listening yet
      }
      await Bun.sleep(100);
    }
    return false;
  }

  const pidFile = (inst: Instance) => join(deps.stateDir, `${inst.status.name}.pid`);

  /**
   * A harness that was killed leaves its children running. Before starting, stop any process recorded in
   * our pid files that still runs this workspace's service, so two versions never serve side by side.
   */
  async function reapOrphans(): Promise<number[]> {
    const reaped: number[] = [];
    for (const inst of instances) {
      const pid = await reapPidFile(pidFile(inst), join(deps.workspaceDir, "src", "main.ts"));
      if (pid === null) continue;
      reaped.push(pid);
      emit(inst, "orphan_stopped", { pid });
    }
    return reaped;
  }

  function spawn(inst: Instance): Promise<boolean> {
    const args = [
      process.execPath,
      join(deps.workspaceDir, "src", "main.ts"),
      "--port",
      String(inst.status.port),
      "--host",
      host,
      "--instance",
      inst.status.name,
      "--snapshot",
      join(deps.stateDir, `${inst.status.name}.snapshot.json`),
      ...(deps.configPath ? ["--config", deps.configPath] : []),
    ];
    // An allowlisted environment: the service needs none of Harness's secrets, and prints what it has.
    const env = bunChildEnv();
    const proc = Bun.spawn(args, {
      cwd: deps.workspaceDir,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    inst.proc = proc;
    writePidFile(pidFile(inst), proc.pid);
    Object.assign(inst.status, {
      pid: proc.pid,
      state: "starting",
      started_at: deps.clock.now(),
      version: deps.version(),
    });
    emit(inst, "started", { pid: proc.pid, port: inst.status.port, version: inst.status.version });
    let heard: (ok: boolean) => void = () => {};
    const listening = new Promise<boolean>((resolve) => {
      heard = resolve;
      setTimeout(() => resolve(false), 15_000);
    });
    void proc.exited.then(() => heard(false));
    void pipeLines(proc.stdout, (l) => {
      if (l.includes('"msg":"listening"')) heard(true);
      deps.onLine?.(inst.status.name, "stdout", l);
    });
    void pipeLines(proc.stderr, (l) => deps.onLine?.(inst.status.name, "stderr", l));
    void proc.exited.then((code) => onExit(inst, proc, code));
    return waitReady(inst, proc, listening);
  }

  function onExit(inst: Instance, proc: Subprocess, code: number): void {
    if (inst.proc !== proc) return;
    inst.proc = null;
    inst.status.pid = null;
    inst.status.last_exit_code = code;
    if (stopping || inst.status.state === "stopped") {
      inst.status.state = "stopped";
      return;
    }
    const now = deps.clock.now();
    inst.crashes = [...inst.crashes.filter((t) => now - t < crashWindowMs), now];
    inst.status.restarts++;
    const looping = inst.crashes.length >= crashLoopAfter;
    inst.status.state = looping ? "crash_loop" : "backoff";
    const delay = Math.min(maxBackoffMs, 250 * 2 ** (inst.crashes.length - 1));
    emit(inst, looping ? "crash_loop" : "exited", {
      code,
      restart_in_ms: delay,
      restarts: inst.status.restarts,
    });
    inst.timer = deps.clock.setTimeout(() => {
      inst.timer = null;
      if (!stopping) void spawn(inst);
    }, delay);
  }

  async function terminate(proc: Subprocess, graceMs = 5000): Promise<void> {
    proc.kill("SIGTERM");
    // A hung (stopped) process only acts on SIGTERM once continued.
    proc.kill("SIGCONT");
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!done) proc.kill("SIGKILL");
    await proc.exited;
  }

  async function stopInstance(inst: Instance): Promise<void> {
    deps.clock.clearTimeout(inst.timer);
    inst.timer = null;
    const proc = inst.proc;
    inst.status.state = "stopped";
    if (proc) await terminate(proc);
  }

  return {
    /** Called first on shutdown, so an instance that dies meanwhile is not restarted. */
    beginShutdown(): void {
      stopping = true;
    },
    async start(): Promise<void> {
      stopping = false;
      await reapOrphans();
      for (const inst of instances) void spawn(inst);
    },
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all(instances.map((i) => stopInstance(i)));
    },
    /** Restarts one instance (or all) on purpose: not counted as a crash. */
    async restart(name?: string): Promise<InstanceStatus[]> {
      const targets = instances.filter((i) => !name || i.status.name === name);
      for (const inst of targets) {
        await stopInstance(inst);
        inst.crashes = [];
        void spawn(inst);
        emit(inst, "restarted", {});
      }
      return targets.map((i) => ({ ...i.status }));
    },
    /**
     * Zero-downtime replacement: the new process starts on the same port (reusePort) and only when it is
     * ready does the old one drain and exit, writing the snapshot of its buckets.
     */
    async handover(): Promise<{ ok: boolean; instances: InstanceStatus[] }> {
      let ok = true;
      for (const inst of instances) {
        const old = inst.proc;
        inst.crashes = [];
        const ready = await spawn(inst);
        if (!ready) ok = false;
        if (old) await terminate(old);
        emit(inst, "handover", { ready, old_pid: old?.pid ?? null, pid: inst.status.pid });
      }
      return { ok, instances: instances.map((i) => ({ ...i.status })) };
    },
    status(): InstanceStatus[] {
      return instances.map((i) => ({ ...i.status }));
    },
    /** Scrape targets; an instance still starting is left out so its boot is not reported as an outage. */
    targets(): { job: string; instance: string; url: string }[] {
      return instances
        .filter((i) => i.status.state !== "starting" && i.status.state !== "stopped")
        .map((i) => ({
          job: "rate-limiter",
          instance: i.status.name,
          url: `http://${host}:${i.status.port}/metrics`,
        }));
    },
  };
}
