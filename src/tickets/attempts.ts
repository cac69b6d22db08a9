import type { TicketEvent } from "./model";

/**
 * An attempt that ended because its worker stopped renewing the lease (a crash, a hang): it left no result.
 * Older histories carry only the reason text, so that is recognised too.
 */
export function endedByLeaseExpiry(e: TicketEvent): boolean {
  if (e.kind !== "status_changed" || e.data.from !== "in_progress") return false;
  return e.data.lease_expired === true || /^lease of .* expired$/.test(String(e.data.reason ?? ""));
}

/** How many of the ticket's latest attempts, counted back from the last, ended by a lease expiry. */
export function expiredInARow(events: readonly TicketEvent[]): number {
  let n = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as TicketEvent;
    if (e.kind !== "status_changed" || e.data.from !== "in_progress") continue;
    if (!endedByLeaseExpiry(e)) break;
    n++;
  }
  return n;
}

/**
 * Every claim counts toward `maxAttempts`, including one whose worker died: a ticket whose work crashes the
 * process must not be retried forever. Returns the resolution for a ticket that may not be claimed again
 * after its last attempt expired, or null.
 */
export function attemptsUsedUp(attempts: number, maxAttempts: number, expired: number): string | null {
  if (expired === 0 || attempts < maxAttempts) return null;
  const last = expired === 1 ? "the last one" : `the last ${expired}`;
  return `gave up after ${attempts} attempts: ${last} ended without a result (lease expired)`;
}
