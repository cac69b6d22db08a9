/**
 * A query worker: a thread of its own that evaluates PromQL and LogQL over read-only connections to the
 * embedded stores, so that no query — however heavy — holds up the web server, the monitor, the agent's lease
 * renewal or the scraper on the main thread. The pool (query-pool.ts) hands it one task at a time and
 * terminates it if it overruns its deadline.
 */
import { toAppError } from "../lib/errors";
import { LogStore } from "./logs/store";
import { MetricStore } from "./metrics/store";
import { executeQuery, type QueryTask } from "./query-exec";
import type { QueryLimits } from "./query-limits";

declare const self: Worker;

export interface WorkerRequest {
  id: number;
  task: QueryTask;
  limits: QueryLimits;
  /** Milliseconds left of the query's timeout when it was handed over. */
  remainingMs: number;
  paths: { metrics: string; logs: string };
  /** Shared with the pool: a non-zero first element asks the query to stop. */
  cancel: Int32Array;
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };

let metrics: MetricStore | null = null;
let logs: LogStore | null = null;

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const { id, task, limits, remainingMs, paths, cancel } = event.data;
  const deadline = performance.now() + remainingMs;
  try {
    const result = executeQuery(
      task,
      {
        metrics: () => {
          metrics ??= new MetricStore(paths.metrics, { readonly: true });
          return metrics;
        },
        logs: () => {
          logs ??= new LogStore(paths.logs, { readonly: true });
          return logs;
        },
      },
      limits,
      deadline,
      () => Atomics.load(cancel, 0) !== 0,
    );
    self.postMessage({ id, ok: true, result } satisfies WorkerReply);
  } catch (err) {
    const e = toAppError(err);
    self.postMessage({ id, ok: false, error: { code: e.code, message: e.message } } satisfies WorkerReply);
  }
};
