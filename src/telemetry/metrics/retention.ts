import type { Clock, TimerHandle } from "../../lib/clock";
import type { RetentionOptions, RetentionResult } from "./store-retention";

export interface RetentionDeps {
  store: { retentionSteps(nowMs: number, opts: RetentionOptions): Generator<void, RetentionResult> };
  /** The cut-off time of each run, and the timer that starts the runs. */
  clock: Clock;
  /** Default one hour. */
  intervalMs?: number;
  maxAgeMs?: number;
  maxBytes?: number;
  /** Called after each run; errors are reported here instead of killing the loop. */
  onRun?: (result: RetentionResult | Error) => void;
}

// A real turn of the event loop, not the clock's timer: it lets waiting I/O run and measures no time, so a
// fake clock must not hold it.
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Enforces retention on a timer. Each short delete transaction is followed by a turn of the
 * event loop, so scrapes and queries interleave with a long clean-up instead of waiting for it.
 */
export function createRetentionLoop(deps: RetentionDeps) {
  const intervalMs = deps.intervalMs ?? 3_600_000;
  const opts: RetentionOptions = {};
  if (deps.maxAgeMs !== undefined) opts.maxAgeMs = deps.maxAgeMs;
  if (deps.maxBytes !== undefined) opts.maxBytes = deps.maxBytes;
  let timer: TimerHandle | null = null;
  let running: Promise<RetentionResult> | null = null;

  async function drain(): Promise<RetentionResult> {
    const steps = deps.store.retentionSteps(deps.clock.now(), opts);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await nextTurn();
    }
  }

  /** One run; a call while a run is in progress joins that run. */
  function runOnce(): Promise<RetentionResult> {
    if (!running) {
      running = drain().finally(() => {
        running = null;
      });
    }
    return running;
  }

  return {
    runOnce,
    start(): void {
      if (timer) return;
      timer = deps.clock.setInterval(() => {
        runOnce().then(
          (r) => deps.onRun?.(r),
          (err: unknown) => deps.onRun?.(err instanceof Error ? err : new Error(String(err))),
        );
      }, intervalMs);
    },
    async stop(): Promise<void> {
      deps.clock.clearInterval(timer);
      timer = null;
      if (running) await running.catch(() => undefined);
    },
  };
}
