import type { Core } from "../core";

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
