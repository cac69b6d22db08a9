import { join } from "node:path";
import type { Core } from "../core";
import type { Sandbox } from "../sandbox/sandbox";
import { ticketBranch } from "../workspace/git";
import { ticketWorktree } from "../workspace/worktree";
import { runCanary } from "./canary-process";
import { runChecks } from "./check";
import { type DeployResult, openDeployRecord } from "./deploy-record";
import { fastForwardMain, head, pristine, resetMain } from "./git-steps";
import type { PipelineDeps } from "./pipeline";
import { openRollbackFollowUp } from "./rollback-follow-up";
import { budgetGate, type SloHealth, signals, sloHealth } from "./slo-gate";
import { watchPromoted } from "./watch";

/** The enabled SLOs' health now; none without a metrics backend or an SLO. */
async function health(core: Core, deps: PipelineDeps): Promise<SloHealth[]> {
  const slos = core.rules.listSlos().filter((s) => s.enabled);
  if (!deps.metrics || slos.length === 0) return [];
  return sloHealth(deps.metrics, slos, core.clock.now());
}

/** The budget stage's detail when it lets the deploy through: each SLO's budget left. */
const budgetLeft = (before: SloHealth[]) =>
  before
    .map((h) => `${h.name}: ${h.remaining === null ? "no data" : `${(100 * h.remaining).toFixed(1)} % left`}`)
    .join("; ");

/**
 * One deploy of a ticket's branch, stage by stage: budget (when SLOs gate) → check → canary → promote →
 * watch; a failed watch rolls main and the instances back and opens a follow-up ticket. Runs under the
 * pipeline's one-at-a-time lock.
 */
export async function runDeploy(
  deps: PipelineDeps,
  sandbox: Sandbox,
  ticketId: number,
): Promise<DeployResult> {
  const { core, workspaceDir, supervisor } = deps;
  const branch = ticketBranch(ticketId);
  const previous = head(workspaceDir, "main");
  const commit = head(workspaceDir, branch);
  const run = await openDeployRecord({
    core,
    ticketId,
    commit,
    previous,
    measure: async () =>
      deps.metrics ? await signals(deps.metrics, core.clock.now()).catch(() => null) : null,
  });
  try {
    const before = await health(core, deps).catch(() => [] as SloHealth[]);
    const floor = deps.budgetFloor ?? 0;
    if (before.length > 0 && floor > 0) {
      const ticket = core.tickets.get(ticketId);
      const parent = ticket.parent_id ? core.tickets.get(ticket.parent_id) : null;
      const refused = await run.stage(
        "budget",
        async () => budgetGate(before, floor, ticket, parent),
        (r) => r === null,
        (r) => r ?? budgetLeft(before),
      );
      if (refused) return await run.finish("failed", "budget", refused);
    }
    const dir = ticketWorktree(workspaceDir, ticketId);
    // What is checked, and then run as the canary, is the commit and nothing else: the tests are the
    // model's code and may rewrite files in the worktree without committing them.
    pristine(dir, commit);
    const tests = await run.stage(
      "check",
      () => runChecks(sandbox, workspaceDir, dir, branch, deps.testCommand),
      (r) => r.ok,
      (r) => r.output,
    );
    if (!tests.ok)
      return await run.finish("failed", "check", "the build or the tests failed; the commit never started");
    pristine(dir, commit);
    const verdict = await run.stage(
      "canary",
      () =>
        runCanary({
          clock: core.clock,
          port: supervisor.status()[0]?.port,
          dir,
          configPath: join(workspaceDir, "limits.yaml"),
          ms: deps.canaryMs,
          stateDir: deps.stateDir,
        }),
      (v) => v.ok,
      (v) => v.reason,
    );
    if (!verdict.ok) return await run.finish("rolled_back", "canary", verdict.reason);
    const promoted = await run.stage(
      "promote",
      async () => {
        fastForwardMain(workspaceDir, branch);
        return supervisor.handover();
      },
      (h) => h.ok,
      (h) => (h.ok ? "handed over" : "new instances did not become ready"),
    );
    const problem = promoted.ok
      ? await run.stage(
          "watch",
          () =>
            watchPromoted({
              clock: core.clock,
              supervisor,
              ms: deps.watchMs,
              before,
              health: () => health(core, deps),
            }),
          (p) => p === null,
          (p) => p ?? "healthy",
        )
      : "the new version did not become ready";
    if (problem) {
      resetMain(workspaceDir, previous);
      await supervisor.handover();
      openRollbackFollowUp(core, ticketId, commit, problem);
      return await run.finish("rolled_back", "watch", problem);
    }
    return await run.finish("completed", "watch", "deployed and healthy");
  } catch (err) {
    return await run.finish("failed", run.lastStage() ?? "check", (err as Error).message);
  }
}
