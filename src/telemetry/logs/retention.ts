import type { Clock, TimerHandle } from "../../lib/clock";
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_BYTES, type LogStore } from "./store";

export interface LogRetentionLoop {
  start(): void;
  stop(): void;
  /** One enforcement pass now; what the timer runs. */
  runOnce(): { deleted: number; streamsDeleted: number };
}

/** Periodically trims the log store by age and size; each pass deletes in small batches. */
export function createLogRetentionLoop(deps: {
  store: LogStore;
  /** The cut-off time of each pass, and the timer that starts the passes. */
  clock: Clock;
  intervalMs?: number;
  maxAgeMs?: number;
  maxBytes?: number;
  onError?: (err: unknown) => void;
}): LogRetentionLoop {
  const intervalMs = deps.intervalMs ?? 60_000;
  const opts = {
    maxAgeMs: deps.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    maxBytes: deps.maxBytes ?? DEFAULT_MAX_BYTES,
  };
  let timer: TimerHandle | null = null;
  const runOnce = () => deps.store.enforceRetention(deps.clock.now(), opts);
  const tick = () => {
    try {
      runOnce();
    } catch (err) {
      // A busy or closed database must not kill the process; the next tick retries.
      deps.onError?.(err);
    }
  };
  return {
    runOnce,
    start() {
      if (timer) return;
      tick();
      timer = deps.clock.setInterval(tick, intervalMs);
    },
    stop() {
      deps.clock.clearInterval(timer);
      timer = null;
    },
  };
}
