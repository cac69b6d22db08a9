import type { Ticket } from "../tickets/model";
import { type BrainHealth, type BrainState, chooseBrain } from "./brains/health";
import { defaultPolicy, type Policy } from "./policy";
import type { Brain } from "./types";
import { type AttemptDeps, BrainCallFailed, runAttempt } from "./worker-attempt";
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
  /** Whether the configured brain answers; without it that brain takes every ticket (the runbook needs none). */
  health?: BrainHealth | null;
  /** Takes tickets while the configured brain is down (`agent.fallback: runbook`); without it they wait. */
  fallback?: Brain | null;
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

  /**
   * The configured brain's call failed: a probe tells whether the brain is down (the ticket is not at fault)
   * or answers (the failure was this ticket's, and counts as one).
   */
  async function brainDown(err: unknown): Promise<BrainState | null> {
    if (!(err instanceof BrainCallFailed) || err.brain !== brain.name || !deps.health) return null;
    const state = await deps.health.check();
    return state.status === "down" ? state : null;
  }

  /** Back to the queue, uncounted: the attempt never got to the work, and the next claim picks who takes it. */
  function unavailable(t: Ticket, workerId: string, err: BrainCallFailed, state: BrainState): void {
    deps.log("brain unavailable", { ticket: t.id, brain: err.brain, reason: state.reason });
    core.tickets.addEvent(t.id, "brain_unavailable", workerId, {
      brain: err.brain,
      error: err.message,
      reason: state.reason,
      kind: state.kind,
      attempt: t.attempts,
      next: deps.fallback ? `${deps.fallback.name} takes the ticket while ${err.brain} is down` : "waits",
    });
    const now = core.tickets.get(t.id);
    if (now.status !== "in_progress" || now.lease_owner !== workerId) return;
    core.tickets.requeueUncounted(t.id, workerId, `brain ${err.brain} unavailable: ${state.reason}`);
  }

  /** Which brain takes the next ticket, or why none does now. */
  function pickBrain(): { brain: Brain; standingIn?: string } | { wait: string } {
    if (!deps.health) return { brain };
    const choice = chooseBrain(deps.health.state(), deps.fallback ? "runbook" : "none");
    if (choice.take === "configured") return { brain };
    if (choice.take === "fallback" && deps.fallback)
      return { brain: deps.fallback, standingIn: choice.reason };
    return { wait: choice.reason };
  }

  async function runOnce(workerId: string): Promise<number | null> {
    const pick = pickBrain();
    // Nothing is claimed while no brain can take it: the ticket stays pending, its attempts untouched.
    if ("wait" in pick) return null;
    const t = core.tickets.claimNext(workerId, deps.leaseMs, { maxAttempts: deps.maxAttempts });
    if (!t) return null;
    const lease = holdLease(
      () => core.tickets.renewLease(t.id, workerId, deps.leaseMs),
      Math.max(50, deps.leaseMs / 3),
    );
    active.set(workerId, { ticketId: t.id, lease });
    try {
      if (pick.standingIn !== undefined)
        core.tickets.addEvent(t.id, "brain_fallback", workerId, {
          configured: brain.name,
          brain: pick.brain.name,
          reason: pick.standingIn,
          attempt: t.attempts,
        });
      await runAttempt({ ...deps, brain: pick.brain }, gate, t, workerId, lease);
      consecutiveErrors = 0;
    } catch (err) {
      const down = err instanceof LeaseLost || lease.lost ? null : await brainDown(err);
      // An error after the lease went (a transition refused to a former holder) is the lost lease too.
      const lost = err instanceof LeaseLost ? err : lease.lost;
      if (lost) abandoned(t, workerId, lost);
      else if (down && err instanceof BrainCallFailed) unavailable(t, workerId, err, down);
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
