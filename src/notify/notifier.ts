import type { Core } from "../core";
import type { TimerHandle } from "../lib/clock";
import type { Logger } from "../lib/log";
import { afterFailure, announcedKinds, detailOf, isFailedMove, plan } from "./decide";
import { deliver } from "./deliver";
import { messageFor } from "./message";
import type { Target } from "./model";
import type { Delivery } from "./repo";

export interface NotifierDeps {
  core: Core;
  targets: readonly Target[];
  /** Base of the ticket links. */
  publicUrl: string;
  retries: number;
  timeoutMs: number;
  maxAgeMs: number;
  /** How often the outbox is looked at. */
  pollMs?: number;
  fetch?: typeof fetch;
  log: Logger;
}

/** Ticket events planned per transaction, and deliveries sent per round: each round stays short. */
const PLAN_BATCH = 500;
const SEND_BATCH = 20;

export type Notifier = ReturnType<typeof createNotifier>;

/**
 * Tells people about tickets: plans deliveries from new ticket events (decide.ts), then sends the due ones,
 * logging each attempt. One cooperative loop on the clock; `tick` runs one round (tests drive it).
 */
export function createNotifier(deps: NotifierDeps) {
  const { core } = deps;
  const clock = core.clock;
  const repo = core.notifications;
  const byName = new Map(deps.targets.map((t) => [t.name, t]));
  const sendDeps = { clock, timeoutMs: deps.timeoutMs, ...(deps.fetch ? { fetch: deps.fetch } : {}) };

  /** Turns the events past the cursor into queued deliveries; the cursor moves in the same transaction. */
  function planNew(): number {
    return core.transaction(() => {
      const cursor = repo.cursor();
      const { events, through } = repo.eventsAfter(cursor, announcedKinds, PLAN_BATCH);
      let queued = 0;
      for (const e of events) {
        const earlier = isFailedMove(e) ? core.tickets.events(e.ticket_id).filter((x) => x.seq < e.seq) : [];
        const planned = plan({
          event: e,
          earlier,
          now: clock.now(),
          maxAgeMs: deps.maxAgeMs,
          targets: deps.targets,
          told: repo.toldTargets(e.ticket_id),
        });
        for (const p of planned) {
          const target = byName.get(p.target) as Target;
          repo.enqueue({
            ticket_id: e.ticket_id,
            event_id: e.id,
            target: p.target,
            channel: target.channel,
            event: p.event,
            ticket_status: typeof e.data.to === "string" ? e.data.to : "pending",
            detail: detailOf(e),
          });
          queued++;
        }
      }
      if (through > cursor) repo.advance(through);
      return queued;
    });
  }

  async function sendOne(d: Delivery): Promise<void> {
    const target = byName.get(d.target);
    if (!target || target.channel !== d.channel) {
      repo.abandon(d.id, `no ${d.channel} target named ${d.target} is configured any more`);
      return;
    }
    const message = messageFor({
      id: `harness-notification-${d.id}`,
      event: d.event,
      ticket: core.tickets.get(d.ticket_id),
      status: d.ticket_status,
      detail: d.detail,
      at: d.created_at,
      publicUrl: deps.publicUrl,
      redact: (s) => core.redactor.text(s),
    });
    const result = await deliver(target, message, deps.publicUrl, sendDeps);
    const next = result.ok
      ? ({ status: "sent" } as const)
      : afterFailure(d.attempts + 1, result.retryable, deps.retries, clock.now());
    repo.recordAttempt(d, result, next);
    if (!result.ok)
      deps.log("notification not delivered", {
        target: d.target,
        ticket: d.ticket_id,
        event: d.event,
        attempt: d.attempts + 1,
        error: result.error,
        will_retry: next.status === "pending",
      });
  }

  /** Sends what is due; a delivery whose sender died is due again once its claim runs out. */
  async function sendDue(): Promise<number> {
    // Claimed past the longest an attempt can take, so a slow receiver is not sent the same message twice.
    const due = repo.claimDue(clock.now() + 2 * deps.timeoutMs + 5_000, SEND_BATCH);
    await Promise.all(
      due.map((d) =>
        sendOne(d).catch((err) =>
          deps.log("notification round failed", { delivery: d.id, error: (err as Error).message }),
        ),
      ),
    );
    return due.length;
  }

  async function tick(): Promise<{ planned: number; sent: number }> {
    const planned = planNew();
    return { planned, sent: await sendDue() };
  }

  const pollMs = deps.pollMs ?? 2_000;
  let timer: TimerHandle | null = null;
  let running = false;
  let inFlight: Promise<unknown> | null = null;
  const schedule = () => {
    if (!running) return;
    timer = clock.setTimeout(() => {
      timer = null;
      inFlight = tick()
        .catch((err) => deps.log("notification round failed", { error: (err as Error).message }))
        .finally(() => {
          inFlight = null;
          schedule();
        });
    }, pollMs);
  };

  return {
    tick,
    /** The two halves of a round, for tests that stop between them. */
    planNew,
    sendDue,
    start(): void {
      if (running) return;
      running = true;
      schedule();
    },
    /** Stops the loop; settles when the round in progress has ended. */
    async stop(): Promise<void> {
      running = false;
      clock.clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
}
