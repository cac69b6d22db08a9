import type { Clock, TimerHandle } from "../../lib/clock";

/**
 * A bounded queue that ships items (samples, log lines) to a remote in batches. When the remote is down the
 * queue keeps the newest `maxQueue` items and counts what it had to drop; failed batches are retried with
 * exponential backoff; a 4xx answer drops the batch (retrying cannot fix it) and is counted too.
 */

export class ShipError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ShipError";
  }
}

export interface ShipperOptions<T> {
  /** For logs and metrics: "remote_write" or "loki_push". */
  name: string;
  send(batch: T[]): Promise<void>;
  /** Times the flushes and the retry backoff. */
  clock: Clock;
  maxQueue?: number;
  batchSize?: number;
  flushMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface ShipperStats {
  name: string;
  queued: number;
  sent: number;
  dropped: number;
  failedSends: number;
  lastError: string | null;
}

export function createShipper<T>(opts: ShipperOptions<T>) {
  const maxQueue = opts.maxQueue ?? 100_000;
  const batchSize = opts.batchSize ?? 2_000;
  const flushMs = opts.flushMs ?? 1_000;
  const retryBaseMs = opts.retryBaseMs ?? 500;
  const retryMaxMs = opts.retryMaxMs ?? 30_000;
  let queue: T[] = [];
  const stats: ShipperStats = {
    name: opts.name,
    queued: 0,
    sent: 0,
    dropped: 0,
    failedSends: 0,
    lastError: null,
  };
  let failures = 0;
  let timer: TimerHandle | null = null;
  let running = false;
  let inFlight: Promise<boolean> | null = null;

  const schedule = (ms: number) => {
    if (!running) return;
    opts.clock.clearTimeout(timer);
    timer = opts.clock.setTimeout(() => {
      timer = null;
      inFlight = drain().finally(() => {
        inFlight = null;
      });
    }, ms);
  };

  /** Sends batches until the queue is empty or a send fails; returns whether it emptied the queue. */
  async function drain(): Promise<boolean> {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      try {
        await opts.send(batch);
      } catch (err) {
        const e = err instanceof ShipError ? err : new ShipError((err as Error).message, true);
        stats.failedSends++;
        stats.lastError = e.message;
        if (!e.retryable) {
          queue.splice(0, batch.length);
          stats.dropped += batch.length;
          opts.log?.(`${opts.name}: batch rejected, dropped`, { items: batch.length, error: e.message });
          continue;
        }
        failures++;
        if (failures === 1 || failures % 10 === 0)
          opts.log?.(`${opts.name}: send failed, will retry`, { error: e.message, attempt: failures });
        schedule(Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1)));
        return false;
      }
      // Items that arrived meanwhile stay behind the batch; items dropped meanwhile were the oldest.
      queue.splice(0, batch.length);
      stats.sent += batch.length;
      failures = 0;
      stats.lastError = null;
    }
    schedule(flushMs);
    return true;
  }

  return {
    enqueue(items: readonly T[]): void {
      if (items.length === 0) return;
      for (const item of items) queue.push(item);
      const over = queue.length - maxQueue;
      if (over > 0) {
        // Keep the newest: a monitor cares about now more than about what it missed.
        queue = queue.slice(over);
        stats.dropped += over;
      }
    },
    start(): void {
      if (running) return;
      running = true;
      schedule(flushMs);
    },
    /** Stops the timer and tries one last drain, bounded by `deadlineMs`. */
    async stop(deadlineMs = 2_000): Promise<void> {
      running = false;
      opts.clock.clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight;
      // A real deadline, not the clock's: it bounds network I/O at shutdown, which a fake clock cannot speed up.
      if (queue.length > 0) await Promise.race([drain(), Bun.sleep(deadlineMs)]);
    },
    /** Sends what is queued now (tests, shutdown). */
    flush: (): Promise<boolean> => drain(),
    stats: (): ShipperStats => ({ ...stats, queued: queue.length }),
  };
}

export type Shipper<T> = ReturnType<typeof createShipper<T>>;
