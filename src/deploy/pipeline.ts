import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Core } from "../core";
import { bunChildEnv } from "../lib/child-env";
import { defaultSandbox, type Sandbox } from "../sandbox/sandbox";
import { reapPidFile, writePidFile } from "../supervisor/pid-files";
import type { Supervisor } from "../supervisor/supervisor";
import type { MetricsBackend } from "../telemetry/types";
import { git, gitOrThrow, ticketBranch } from "../workspace/git";
import { runServiceTests } from "../workspace/tests";
import { ticketWorktree } from "../workspace/worktree";
import { type CanaryVerdict, judgeCanary, type ProbeStats, p99 } from "./canary";
import { buildCheck, dependenciesChanged, installDependencies, typeCheck } from "./check";
import { budgetGate, burnAfterDeploy, type Signals, type SloHealth, signals, sloHealth } from "./slo-gate";

export interface PipelineDeps {
  core: Core;
  supervisor: Supervisor;
  workspaceDir: string;
  /** How long the canary and the running version are probed side by side. */
  canaryMs: number;
  /** How long the promoted version is watched before the deploy counts as done. */
  watchMs: number;
  /** For the error-budget gate and the SLO check during the watch; without it neither runs. */
  metrics?: MetricsBackend | null;
  /** Budget share below which only fixes for that SLO may deploy (0 turns the gate off). */
  budgetFloor?: number;
  /** Where the canary's pid file lives, so a harness restarted after a crash can stop a left-over canary. */
  stateDir?: string;
  /** Where checks run (tests, build, type check); the default sandbox when unset. */
  sandbox?: Sandbox;
  /** The operator's test command (`service.test_command`). */
  testCommand?: readonly string[];
  log: (msg: string, data?: Record<string, unknown>) => void;
}

const canaryPidFile = (stateDir: string) => join(stateDir, "canary.pid");

/** After a crash: stop a canary the dead harness left running (only if it runs from a ticket worktree). */
export function reapInterruptedCanary(stateDir: string, workspaceDir: string): Promise<number | null> {
  return reapPidFile(canaryPidFile(stateDir), join(dirname(workspaceDir), "worktrees"));
}

export interface DeployResult {
  id: number;
  status: "completed" | "failed" | "rolled_back";
  stage: string;
  reason: string;
  commit: string;
}

/**
 * Probes the service's port while the canary shares it (reusePort): each probe opens a new connection, so
 * the kernel spreads them over every process listening there, and the answer's `X-Instance` header says
 * who served it. Real clients are spread the same way: the canary takes its share of real traffic too.
 */
async function probeShared(
  port: number,
  ms: number,
  canaryName: string,
): Promise<{ old: ProbeStats; fresh: ProbeStats }> {
  const old = { latencies: [] as number[], errors: 0 };
  const fresh = { latencies: [] as number[], errors: 0 };
  const end = Date.now() + ms;
  let i = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const started = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/check`, {
          method: "POST",
          headers: { connection: "close" },
          body: JSON.stringify({ key: `canary-probe-${i++ % 50}`, hits: 0 }),
          signal: AbortSignal.timeout(2000),
        });
        await res.arrayBuffer();
        const side = res.headers.get("x-instance") === canaryName ? fresh : old;
        side.latencies.push(performance.now() - started);
        if (res.status >= 500) side.errors++;
      } catch {
        // Nobody answered, so nobody can be credited: count it against the new version, the one on trial.
        fresh.errors++;
        fresh.latencies.push(performance.now() - started);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const stats = (s: typeof old): ProbeStats => ({
    requests: s.latencies.length,
    errors: s.errors,
    p99Ms: p99(s.latencies),
  });
  return { old: stats(old), fresh: stats(fresh) };
}

/** Puts a worktree exactly at `commit`: tracked files restored, untracked ones removed (ignored ones kept). */
function pristine(dir: string, commit: string): void {
  gitOrThrow(dir, ["reset", "-q", "--hard", commit]);
  // node_modules is a link to the shared packages: `node_modules/` in .gitignore names directories only.
  gitOrThrow(dir, ["clean", "-q", "-f", "-d", "-e", "node_modules"]);
}

const head = (dir: string, ref = "HEAD") => gitOrThrow(dir, ["rev-parse", "--short=12", ref]).trim();

/**
 * One deploy at a time: check (tests) → canary (new version beside the old, same probe, compared) →
 * promote (main fast-forwards, instances hand over on the same port) → watch (readiness); a failed watch
 * rolls back to the previous commit. Every stage is an event on the ticket and a row in `deploys`.
 */
export function createPipeline(deps: PipelineDeps) {
  const { core, workspaceDir } = deps;
  const sandbox = deps.sandbox ?? defaultSandbox();
  let busy = false;

  function record(ticketId: number, kind: string, data: Record<string, unknown>): void {
    core.tickets.addEvent(ticketId, kind, "pipeline", data);
  }

  /** Dependencies if the branch changed them, then a build of the entry point, then the test suite. */
  async function runTests(dir: string, branch: string): Promise<{ ok: boolean; output: string }> {
    const parts: string[] = [];
    if (dependenciesChanged(workspaceDir, branch)) {
      const installed = await installDependencies(sandbox, dir);
      parts.push(installed.output);
      if (!installed.ok) return { ok: false, output: parts.join("\n\n").slice(-6000) };
    }
    const built = await buildCheck(sandbox, dir);
    parts.push(built.output);
    if (!built.ok) return { ok: false, output: parts.join("\n\n").slice(-6000) };
    const typed = await typeCheck(sandbox, dir);
    if (typed) {
      parts.push(typed.output);
      if (!typed.ok) return { ok: false, output: parts.join("\n\n").slice(-6000) };
    }
    const r = await runServiceTests(sandbox, dir, deps.testCommand);
    parts.push(r.output.slice(-6000));
    return { ok: r.ok, output: parts.join("\n\n").slice(-6000) };
  }

  async function canary(dir: string): Promise<CanaryVerdict> {
    const port = deps.supervisor.status()[0]?.port;
    if (port === undefined) return { ok: false, reason: "no running instance to compare with" };
    const config = join(workspaceDir, "limits.yaml");
    const name = `canary-${Date.now().toString(36)}`;
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
        ...(existsSync(config) ? ["--config", config] : []),
      ],
      { cwd: dir, env: bunChildEnv(), stdout: "ignore", stderr: "ignore" },
    );
    if (deps.stateDir) writePidFile(canaryPidFile(deps.stateDir), proc.pid);
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
        if (!ready) await Bun.sleep(50);
      }
      if (!ready)
        return { ok: false, reason: exited ? "the canary exited at start" : "the canary never became ready" };
      const { old, fresh } = await probeShared(port, deps.canaryMs, name);
      if (old.requests === 0)
        return { ok: false, reason: "the running version answered no probe to compare with" };
      return judgeCanary(old, fresh);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      if (deps.stateDir) rmSync(canaryPidFile(deps.stateDir), { force: true });
    }
  }

  async function health(): Promise<SloHealth[]> {
    const slos = core.rules.listSlos().filter((s) => s.enabled);
    if (!deps.metrics || slos.length === 0) return [];
    return sloHealth(deps.metrics, slos, core.clock.now());
  }

  async function watch(before: SloHealth[]): Promise<string | null> {
    const end = Date.now() + deps.watchMs;
    let nextSloCheck = Date.now() + 1_000;
    for (;;) {
      const bad = deps.supervisor
        .status()
        .find((i) => i.state === "backoff" || i.state === "crash_loop" || i.state === "stopped");
      if (bad) return `${bad.name} is ${bad.state} after the deploy`;
      const last = Date.now() >= end;
      if (before.length > 0 && (last || Date.now() >= nextSloCheck)) {
        nextSloCheck = Date.now() + 1_000;
        const burning = burnAfterDeploy(before, await health().catch(() => []));
        if (burning) return burning;
      }
      if (last) return null;
      await Bun.sleep(200);
    }
  }

  async function deploy(ticketId: number): Promise<DeployResult> {
    if (busy) throw new Error("another deploy is running; deploys run one at a time");
    busy = true;
    const started = core.clock.now();
    const branch = ticketBranch(ticketId);
    const previous = head(workspaceDir, "main");
    const commit = head(workspaceDir, branch);
    const stages: { stage: string; ok: boolean; ms: number; detail: string }[] = [];
    const row = { id: core.deploys.start(ticketId, commit, previous, started) };
    // Golden signals before and after, so each deploy says what it did to the service.
    const measure = async (): Promise<Signals | null> =>
      deps.metrics ? await signals(deps.metrics, core.clock.now()).catch(() => null) : null;
    const signalsBefore = await measure();
    const finish = async (
      status: DeployResult["status"],
      stage: string,
      reason: string,
    ): Promise<DeployResult> => {
      const metrics = { before: signalsBefore, after: await measure() };
      core.deploys.finish(row.id, { status, stage, reason, stages, metrics });
      record(
        ticketId,
        status === "completed" ? "deploy" : status === "rolled_back" ? "rollback" : "deploy_failed",
        {
          deploy_id: row.id,
          commit,
          previous,
          stage,
          reason,
          stages,
          metrics,
        },
      );
      return { id: row.id, status, stage, reason, commit };
    };
    const stage = async <T>(
      name: string,
      fn: () => Promise<T>,
      ok: (v: T) => boolean,
      detail: (v: T) => string,
    ) => {
      // The row names the stage in progress, so a crash mid-stage is reported where it happened.
      core.deploys.stage(row.id, name);
      const t0 = Date.now();
      const v = await fn();
      stages.push({ stage: name, ok: ok(v), ms: Date.now() - t0, detail: detail(v).slice(-2000) });
      record(ticketId, "deploy_stage", { deploy_id: row.id, ...(stages.at(-1) as object) });
      return v;
    };
    try {
      record(ticketId, "deploy_started", { deploy_id: row.id, commit, previous });
      const before = await health().catch(() => [] as SloHealth[]);
      const floor = deps.budgetFloor ?? 0;
      if (before.length > 0 && floor > 0) {
        const ticket = core.tickets.get(ticketId);
        const parent = ticket.parent_id ? core.tickets.get(ticket.parent_id) : null;
        const refused = await stage(
          "budget",
          async () => budgetGate(before, floor, ticket, parent),
          (r) => r === null,
          (r) =>
            r ??
            before
              .map(
                (h) =>
                  `${h.name}: ${h.remaining === null ? "no data" : `${(100 * h.remaining).toFixed(1)} % left`}`,
              )
              .join("; "),
        );
        if (refused) return await finish("failed", "budget", refused);
      }
      const dir = ticketWorktree(workspaceDir, ticketId);
      // What is checked, and then run as the canary, is the commit and nothing else: the tests are the
      // model's code and may rewrite files in the worktree without committing them.
      pristine(dir, commit);
      const tests = await stage(
        "check",
        () => runTests(dir, branch),
        (r) => r.ok,
        (r) => r.output,
      );
      if (!tests.ok)
        return await finish("failed", "check", "the build or the tests failed; the commit never started");
      pristine(dir, commit);
      const verdict = await stage(
        "canary",
        () => canary(dir),
        (v) => v.ok,
        (v) => v.reason,
      );
      if (!verdict.ok) return await finish("rolled_back", "canary", verdict.reason);
      const promoted = await stage(
        "promote",
        async () => {
          // main only moves through here, so a fast-forward is the normal case; anything else is refused.
          const merged = git(workspaceDir, ["merge", "--ff-only", "-q", branch]);
          if (!merged.ok) throw new Error(`main cannot fast-forward to ${branch}: ${merged.stderr.trim()}`);
          return deps.supervisor.handover();
        },
        (h) => h.ok,
        (h) => (h.ok ? "handed over" : "new instances did not become ready"),
      );
      const problem = promoted.ok
        ? await stage(
            "watch",
            () => watch(before),
            (p) => p === null,
            (p) => p ?? "healthy",
          )
        : "the new version did not become ready";
      if (problem) {
        gitOrThrow(workspaceDir, ["reset", "-q", "--hard", previous]);
        await deps.supervisor.handover();
        core.intake.open({
          actor: "pipeline",
          observation: {
            rule_kind: "deploy",
            rule: "watch",
            query: "",
            value: null,
            labels: {},
            data: { commit, ticket: ticketId, problem },
          },
          ticket: {
            title: `Deploy of ${commit} was rolled back`,
            objective: `The deploy for ticket #${ticketId} was rolled back: ${problem}. Find out why and fix it.`,
            source: "agent",
            priority: "P2",
          },
          parentId: ticketId,
        });
        return await finish("rolled_back", "watch", problem);
      }
      return await finish("completed", "watch", "deployed and healthy");
    } catch (err) {
      return await finish("failed", stages.at(-1)?.stage ?? "check", (err as Error).message);
    } finally {
      busy = false;
    }
  }

  /** Returns the service to the commit before the latest completed deploy, with the same handover. */
  async function rollback(
    ticketId: number,
    reason: string,
  ): Promise<{ ok: boolean; from: string; to: string | null; detail: string }> {
    if (busy) throw new Error("a deploy is running; roll back after it finishes");
    busy = true;
    try {
      const last = core.deploys.lastCompleted();
      const from = head(workspaceDir, "main");
      if (!last?.previous_sha)
        return { ok: false, from, to: null, detail: "no completed deploy to roll back" };
      gitOrThrow(workspaceDir, ["reset", "-q", "--hard", last.previous_sha]);
      const h = await deps.supervisor.handover();
      core.deploys.markRolledBack(last.id, `rolled back: ${reason}`);
      record(ticketId, "rollback", { deploy_id: last.id, from, to: last.previous_sha, reason, ready: h.ok });
      return {
        ok: h.ok,
        from,
        to: last.previous_sha,
        detail: h.ok ? "rolled back and ready" : "rolled back; instances not ready",
      };
    } finally {
      busy = false;
    }
  }

  return { deploy, rollback, busy: () => busy };
}

export type Pipeline = ReturnType<typeof createPipeline>;

/**
 * After a crash, a deploy left `running` is marked failed (never lost). The supervisor then starts
 * instances only from `main`, so whichever version main names is the one that runs.
 */
export function recoverInterruptedDeploys(core: Core): number[] {
  const rows = core.deploys.failInterrupted();
  for (const r of rows) {
    core.tickets.addEvent(r.ticket_id, "deploy_failed", "pipeline", {
      deploy_id: r.id,
      stage: r.stage,
      reason: "interrupted by a harness restart",
    });
  }
  return rows.map((r) => r.id);
}
