import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { bunChildEnv } from "../lib/child-env";
import { killTree, procAvailable, processesMarked, treeUsage } from "./tree";

const runMarker = "HARNESS_SANDBOX_RUN";

/**
 * Runs code Harness does not trust — the service's tests and deploy checks, written by the model — in a
 * sandbox: Debian's bubblewrap (`bwrap`) gives it its own mount, PID, network (loopback only), IPC and UTS
 * namespaces, a read-only view of the toolchain, the worktree as the only writable place besides a private
 * /tmp, and no capabilities. Every run also gets an allowlisted environment, its own process group, and
 * limits on wall time, CPU time and resident memory enforced by a watchdog that kills the whole tree.
 *
 * Without bubblewrap (mode `auto` on a machine that lacks it) the environment, the process group and the
 * limits still hold; the file-system and network confinement do not, and Harness says so at start-up.
 */

export type SandboxMode = "auto" | "required" | "off";

export interface SandboxLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  /** The most output kept (the end of it: test summaries come last). */
  outputBytes: number;
}

export const defaultLimits: SandboxLimits = {
  wallMs: 300_000,
  cpuMs: 600_000,
  memoryBytes: 2 * 1024 ** 3,
  outputBytes: 1024 * 1024,
};

export interface SandboxSpec {
  /** Program and arguments; `bun` as the program means the harness binary running as Bun. */
  argv: string[];
  /** The working directory, bound writable (the ticket's worktree). */
  cwd: string;
  /** Further paths visible read-only (the shared node_modules a worktree links to). */
  readOnly?: string[];
  /** Paths inside `cwd` bound read-only over the writable tree (the worktree's `.git` file). */
  protect?: string[];
  /** `host` only for `bun install`, which needs the registry; everything else sees loopback alone. */
  network?: "loopback" | "host";
  /** Variables added to the allowlisted environment (values Harness chose, never its own secrets). */
  env?: Record<string, string>;
  limits?: Partial<SandboxLimits>;
}

export interface SandboxOutcome {
  ok: boolean;
  exitCode: number;
  output: string;
  sandboxed: boolean;
  /** Set when the watchdog stopped the run. */
  stopped?: "wall" | "cpu" | "memory";
}

export interface SandboxOptions {
  mode: SandboxMode;
  limits?: Partial<SandboxLimits>;
  /** Names of variables of Harness's environment that tests may see (`sandbox.env`). */
  envAllow?: readonly string[];
  /** The bwrap program (tests point it elsewhere to simulate a machine without it). */
  bwrap?: string;
}

export interface SandboxStatus {
  mode: SandboxMode;
  /** Whether runs are confined by bubblewrap. */
  confined: boolean;
  /** Why not, when not. */
  reason: string | null;
}

/** The toolchain a test run needs, read-only: the system's programs and libraries, nothing of /home or /etc's secrets. */
const systemPaths = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/lib32",
  "/etc/alternatives",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/passwd",
  "/etc/group",
  "/etc/localtime",
  "/etc/ssl",
  "/etc/ca-certificates",
];

function probe(bwrap: string): string | null {
  try {
    const r = Bun.spawnSync(
      [bwrap, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--ro-bind", "/", "/", "true"],
      { stdin: "ignore", env: { PATH: "/usr/bin:/bin" } },
    );
    if (r.exitCode === 0) return null;
    return `bubblewrap cannot create namespaces here: ${r.stderr.toString().trim().split("\n")[0]}`;
  } catch {
    return "bubblewrap (bwrap) is not installed";
  }
}

export class Sandbox {
  private readonly limits: SandboxLimits;
  private readonly bwrap: string;
  private statusCache: SandboxStatus | null = null;

  constructor(private readonly opts: SandboxOptions) {
    this.limits = { ...defaultLimits, ...opts.limits };
    // Resolved once, from our PATH: the program probed is the program run.
    const name = opts.bwrap ?? "bwrap";
    this.bwrap = name.includes("/") ? name : (Bun.which(name) ?? name);
  }

  status(): SandboxStatus {
    if (this.statusCache) return this.statusCache;
    const reason = this.opts.mode === "off" ? "sandbox.mode is off" : probe(this.bwrap);
    this.statusCache = { mode: this.opts.mode, confined: reason === null, reason };
    return this.statusCache;
  }

  /** The command line that runs `spec` in bubblewrap. */
  bwrapArgs(spec: SandboxSpec, program: string[]): string[] {
    const cwd = realpathSync(spec.cwd);
    const args = [
      this.bwrap,
      "--unshare-all",
      ...(spec.network === "host" ? ["--share-net"] : []),
      "--die-with-parent",
      "--new-session",
      "--cap-drop",
      "ALL",
      "--hostname",
      "sandbox",
    ];
    for (const p of systemPaths) args.push("--ro-bind-try", p, p);
    args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/tmp/home");
    if (spec.network === "host") args.push("--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf");
    // The harness binary itself (it runs the code as Bun), wherever it is installed.
    const exe = realpathSync(process.execPath);
    if (!exe.startsWith("/usr/")) args.push("--ro-bind", exe, exe);
    if (exe !== process.execPath) args.push("--ro-bind", exe, process.execPath);
    for (const p of spec.readOnly ?? []) {
      if (!existsSync(p)) continue;
      const real = realpathSync(p);
      args.push("--ro-bind", real, real);
      // Links inside the worktree name the path as written, which may differ from the real one.
      if (real !== p) args.push("--ro-bind", real, p);
    }
    args.push("--bind", cwd, cwd);
    if (cwd !== spec.cwd) args.push("--symlink", cwd, spec.cwd);
    for (const p of spec.protect ?? []) if (existsSync(p)) args.push("--ro-bind", p, p);
    args.push("--chdir", cwd, "--", ...program);
    return args;
  }

  async run(spec: SandboxSpec): Promise<SandboxOutcome> {
    const status = this.status();
    if (this.opts.mode === "required" && !status.confined)
      return {
        ok: false,
        exitCode: -1,
        output: `sandbox.mode is required but the sandbox is unavailable: ${status.reason}`,
        sandboxed: false,
      };
    const limits = { ...this.limits, ...spec.limits };
    const [first, ...rest] = spec.argv;
    if (!first) throw new Error("sandbox: empty command");
    const program = first === "bun" ? [process.execPath, ...rest] : spec.argv;
    const runId = randomUUID();
    const env: Record<string, string> = {
      ...bunChildEnv(this.opts.envAllow ?? []),
      // Marks every process of this run, so one that escaped the process tree is still found and stopped.
      [runMarker]: runId,
      ...(status.confined ? { HOME: "/tmp/home", TMPDIR: "/tmp" } : {}),
      ...spec.env,
    };
    if (!status.confined && env.HOME === undefined) env.HOME = dirname(spec.cwd);
    const argv = status.confined ? this.bwrapArgs(spec, program) : program;
    const proc = Bun.spawn(argv, {
      cwd: spec.cwd,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      // Its own session and process group, so the whole tree can be stopped at once.
      detached: true,
    });
    let stopped: SandboxOutcome["stopped"];
    const stop = (why: NonNullable<SandboxOutcome["stopped"]>) => {
      if (stopped) return;
      stopped = why;
      killTree(proc.pid);
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        // the group is gone
      }
    };
    const started = performance.now();
    const watchdog = setInterval(() => {
      if (performance.now() - started > limits.wallMs) return stop("wall");
      if (!procAvailable) return;
      const use = treeUsage(proc.pid);
      if (use.rssBytes > limits.memoryBytes) stop("memory");
      else if (use.cpuMs > limits.cpuMs) stop("cpu");
    }, 200);
    const [out, err, code] = await Promise.all([
      tail(proc.stdout, limits.outputBytes),
      tail(proc.stderr, limits.outputBytes),
      proc.exited,
    ]);
    clearInterval(watchdog);
    // Whatever the tests left running goes with them: their group, and anything carrying this run's marker.
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // nothing left
    }
    for (const pid of processesMarked(runMarker, runId)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    let output = `${out}\n${err}`.trim();
    if (output.length > limits.outputBytes) output = output.slice(-limits.outputBytes);
    if (stopped) output += `\n[harness: stopped by the sandbox: ${describe(stopped, limits)}]`;
    return {
      ok: code === 0 && !stopped,
      exitCode: code,
      output,
      sandboxed: status.confined,
      ...(stopped ? { stopped } : {}),
    };
  }
}

function describe(why: "wall" | "cpu" | "memory", l: SandboxLimits): string {
  if (why === "wall") return `ran longer than ${Math.round(l.wallMs / 1000)} s of wall time`;
  if (why === "cpu") return `used more than ${Math.round(l.cpuMs / 1000)} s of CPU`;
  return `used more than ${Math.round(l.memoryBytes / 1024 ** 2)} MiB of memory`;
}

/** Reads a stream to its end, keeping only the last `max` bytes (a test run may print without end). */
async function tail(stream: ReadableStream<Uint8Array>, max: number): Promise<string> {
  let chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 2 * max) {
      const kept = Buffer.concat(chunks).subarray(-max);
      chunks = [kept];
      size = kept.length;
    }
  }
  const bytes = Buffer.concat(chunks);
  return bytes.subarray(Math.max(0, bytes.length - max)).toString("utf8");
}

/**
 * What a worktree's `node_modules` needs to be readable in the sandbox: the directory it links to (a ticket's
 * worktree shares the workspace's), and for each package linked from elsewhere the `node_modules` it lives in
 * (a package finds its own dependencies beside its real path).
 */
export function dependencyMounts(dir: string): string[] {
  const modules = join(dir, "node_modules");
  if (!existsSync(modules)) return [];
  const mounts = new Set<string>([realpathSync(modules)]);
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name.startsWith("@") && e.isDirectory()) visit(p);
      else if (e.isSymbolicLink() && existsSync(p)) {
        const real = realpathSync(p);
        const at = real.lastIndexOf(`${sep}node_modules${sep}`);
        mounts.add(at >= 0 ? real.slice(0, at + "/node_modules".length) : real);
      }
    }
  };
  visit(realpathSync(modules));
  return [...mounts];
}

let shared: Sandbox | null = null;
/** The sandbox with the defaults (mode auto), for callers that were given none. */
export function defaultSandbox(): Sandbox {
  shared ??= new Sandbox({ mode: "auto" });
  return shared;
}
