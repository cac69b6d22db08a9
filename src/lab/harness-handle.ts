import { systemClock } from "../lib/clock";

/** The lab's hold on a running harness: its HTTP API and its data directory. */
export interface HarnessHandle {
  base: string;
  dataDir: string;
  api: <T>(path: string, init?: { method?: string; body?: unknown }) => Promise<{ status: string; data: T }>;
}

/** What the lab reads back from the harness API. */
export type Ticket = { id: number; title: string; status: string; created_at: number };
export type TicketEvent = { kind: string; actor: string; data: Record<string, unknown> };
export type Instance = { pid: number | null; state: string; port: number };

/** Calls `fn` every 250 ms until it returns something truthy or `ms` pass (null); a throw counts as nothing yet. */
export const poll = async <T>(
  fn: () => Promise<T | null | undefined | false>,
  ms: number,
): Promise<T | null> => {
  const end = systemClock.now() + ms;
  while (systemClock.now() < end) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await Bun.sleep(250);
  }
  return null;
};
