import type { Ticket } from "../tickets/model";
import { defaultPolicy, type Policy } from "./policy";
import { type AttemptDeps, runAttempt } from "./worker-attempt";
import { createGate } from "./worker-gate";
import { type HeldLease, holdLease, LeaseLost } from "./worker-lease";

export interface AgentDeps extends AttemptDeps {
  workers: number;
  leaseMs: number;
  pollMs: number;
  policy?: Policy;
  /**
   * Attempts after which a ticket fails instead of returning to the queue: after an error, and after a
   * lease expiry (a crash), which the claim counts too.
   */
  maxAttempts: number;
  log: (msg: string, data?: Record<string, unknown>) => void;
}

export type Agent = ReturnType<typeof createAgent>;

/** The worker loop: claims tickets, holds their leases while an attempt works them, and handles its end. */
export function createAgent(deps: AgentDeps) {
  const { core, brain } = deps;
  const gate = createGate({
    core,
    workspaceDir: deps.workspaceDir ?? null,
    policy: deps.policy ?? defaultPolicy,
  });
  let running = false;
  const active = new Map<string, { ticketId: number; lease: HeldLease }>();
  const loops: Promise<void>[] = [];
  let consecutiveErrors = 0;

  /** The ticket is no longer ours: say so on it, but neither move it nor touch what its new owner does. */
  function abandoned(t: Ticket, workerId: string, lost: LeaseLost): void {
    deps.log("attempt abandoned", { ticket: t.id, reason: lost.reason, detail: lost.detail });
    try {
      core.tickets.addEvent(t.id, "attempt_abandoned", workerId, {
        reason: lost.reason,
        ...(lost.detail ? { detail: lost.detail } : {}),
        attempt: t.attempts,
      });
    } catch {
      // the ticket cannot be read any more: nothing to record it on
    }
  }

  function failed(t: Ticket, workerId: string, err: unknown): void {
    consecutiveErrors++;
    const message = err instanceof Error ? err.message : String(err);
    deps.log("agent step failed", { ticket: t.id, error: message });
    core.tickets.addEvent(t.id, "agent_error", workerId, { error: message, attempt: t.attempts });
    const now = core.tickets.get(t.id);
    if (now.status !== "in_progress" || now.lease_owner !== workerId) return;
    if (t.attempts >= deps.maxAttempts) {
      core.tickets.transition(t.id, "failed", workerId, {
        resolution: `agent error after ${t.attempts} attempts: ${message}`,
      });
    } else {
      core.tickets.transition(t.id, "pending", workerId, { reason: `agent error: ${message}` });
    }
  }

  async function runOnce(workerId: string): Promise<number | null> {
    const t = core.tickets.claimNext(workerId, deps.leaseMs, { maxAttempts: deps.maxAttempts });
    if (!t) return null;
    const lease = holdLease(
      () => core.tickets.renewLease(t.id, workerId, deps.leaseMs),
      Math.max(50, deps.leaseMs / 3),
    );
    active.set(workerId, { ticketId: t.id, lease });
    try {
      await runAttempt(deps, gate, t, workerId, lease);
      consecutiveErrors = 0;
    } catch (err) {
      // An error after the lease went (a transition refused to a former holder) is the lost lease too.
      const lost = err instanceof LeaseLost ? err : lease.lost;
      if (lost) abandoned(t, workerId, lost);
      else failed(t, workerId, err);
    } finally {
      lease.end();
      active.delete(workerId);
    }
    return t.id;
  }

  async function loop(workerId: string): Promise<void> {
    while (running) {
      const id = await runOnce(workerId);
      // Back off after errors (a bad API key must not spin), and when the queue is empty.
      if (running && consecutiveErrors > 0)
        await Bun.sleep(Math.min(60_000, deps.pollMs * 2 ** consecutiveErrors));
      else if (id === null && running) await Bun.sleep(deps.pollMs);
    }
  }

  return {
    runOnce,
    start(): void {
      running = true;
      for (let i = 0; i < deps.workers; i++) loops.push(loop(`agent-${process.pid}-${i}`));
    },
    /** Graceful stop: in-flight tickets go back to the queue with an event, to be resumed from their steps. */
    async stop(): Promise<void> {
      running = false;
      for (const [workerId, { ticketId, lease }] of active) {
        const t = core.tickets.get(ticketId);
        if (t.status === "in_progress" && t.lease_owner === workerId) {
          core.tickets.transition(ticketId, "pending", workerId, { reason: "agent stopped; lease released" });
        }
        // Its attempt stops at its next wait or act, instead of acting on a ticket it released.
        lease.release("agent stopped");
      }
      await Promise.race([Promise.all(loops), Bun.sleep(2000)]);
    },
    status() {
      const byWorker = Object.fromEntries([...active].map(([w, a]) => [w, a.ticketId]));
      return { running, brain: brain.name, model: brain.model, active: byWorker };
    },
  };
}
