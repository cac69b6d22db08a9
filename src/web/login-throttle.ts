/**
 * Failed logins per client: after `maxFailures` within `windowMs` the client is locked out (even with the right
 * token) for `firstLockMs`, doubling with each further failure up to `maxLockMs`; a success forgets the client.
 * The table holds at most `maxClients` entries, evicting the least recently failed, so an attacker with many
 * addresses costs bounded memory.
 */
export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  firstLockMs: number;
  maxLockMs: number;
  maxClients: number;
}

export const defaultThrottle: LoginThrottleOptions = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  firstLockMs: 60_000,
  maxLockMs: 3_600_000,
  maxClients: 10_000,
};

interface Entry {
  failures: number;
  /** When the first failure of this run was counted. */
  since: number;
  lockedUntil: number;
}

export function createLoginThrottle(now: () => number, options: Partial<LoginThrottleOptions> = {}) {
  const o = { ...defaultThrottle, ...options };
  const entries = new Map<string, Entry>();
  // Forgiven once quiet for a window: past the window of its failures and past its last lock by a window.
  const stale = (e: Entry, t: number) => t >= Math.max(e.since, e.lockedUntil) + o.windowMs;
  const current = (client: string, t: number): Entry | undefined => {
    const e = entries.get(client);
    if (!e || !stale(e, t)) return e;
    entries.delete(client);
    return undefined;
  };
  return {
    /** Milliseconds until `client` may try again; 0 when it may now. */
    lockedFor(client: string): number {
      const t = now();
      return Math.max(0, (current(client, t)?.lockedUntil ?? 0) - t);
    },
    /** Counts a failure; returns the lock it starts (ms), 0 while under the limit. */
    failed(client: string): number {
      const t = now();
      const e = current(client, t) ?? { failures: 0, since: t, lockedUntil: 0 };
      e.failures += 1;
      const over = e.failures - o.maxFailures;
      const lock = over < 0 ? 0 : Math.min(o.firstLockMs * 2 ** Math.min(over, 32), o.maxLockMs);
      if (lock > 0) e.lockedUntil = t + lock;
      // Re-inserted so the Map's order is least recently failed first: the one to evict.
      entries.delete(client);
      entries.set(client, e);
      for (const oldest of entries.keys()) {
        if (entries.size <= o.maxClients) break;
        entries.delete(oldest);
      }
      return lock;
    },
    succeeded(client: string): void {
      entries.delete(client);
    },
    size: () => entries.size,
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/**
 * The throttle's key for a client address: IPv6 clients by their /64 (one host usually owns the whole prefix),
 * IPv4 (also when mapped into IPv6) by address, and every client in one bucket when the address is unknown.
 */
export function clientKey(address: string | null | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(":")) return address;
  const bare = address.split("%")[0]?.toLowerCase() ?? "";
  const [head = "", tail] = bare.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}
