import type { Core } from "../core";
import type { Supervisor } from "../supervisor/supervisor";
import { head, resetMain } from "./git-steps";

export interface RollbackResult {
  ok: boolean;
  from: string;
  to: string | null;
  detail: string;
}

/** Returns the service to the commit before the latest completed deploy, with the same handover. */
export async function rollbackLastDeploy(
  core: Core,
  supervisor: Pick<Supervisor, "handover">,
  workspaceDir: string,
  ticketId: number,
  reason: string,
): Promise<RollbackResult> {
  const last = core.deploys.lastCompleted();
  const from = head(workspaceDir, "main");
  if (!last?.previous_sha) return { ok: false, from, to: null, detail: "no completed deploy to roll back" };
  resetMain(workspaceDir, last.previous_sha);
  const h = await supervisor.handover();
  core.deploys.markRolledBack(last.id, `rolled back: ${reason}`);
  core.tickets.addEvent(ticketId, "rollback", "pipeline", {
    deploy_id: last.id,
    from,
    to: last.previous_sha,
    reason,
    ready: h.ok,
  });
  return {
    ok: h.ok,
    from,
    to: last.previous_sha,
    detail: h.ok ? "rolled back and ready" : "rolled back; instances not ready",
  };
}
