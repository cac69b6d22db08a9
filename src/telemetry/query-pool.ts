import { AppError, type ErrorCode } from "../lib/errors";
import { type QueryOutput, type QueryTask, validateTask } from "./query-exec";
import type { QueryLimits } from "./query-limits";
import type { WorkerReply, WorkerRequest } from "./query-worker";

/**
 * Runs queries on worker threads, at most `maxConcurrency` at once, the rest waiting in a bounded queue.
 *
 * Why threads: web, monitor, agent (lease renewal included), scraper and supervisor share one event loop,
 * and PromQL and LogQL evaluate synchronously. On the main thread, one heavy query stopped all of them; on a
 * worker it stops nothing but itself. Each query also checks its own deadline and cancel flag as it goes
 * (query-limits.ts); a worker that does not answer shortly after its deadline — a regular expression
 * backtracking inside the engine, say — is terminated and replaced, which always works.
 */

export interface QueryPoolOptions {
  /** The stores' database files; workers open them read-only. */
  paths: { metrics: string; logs: string };
  limits: QueryLimits;
  /** Queries running at once (one worker thread each). */
  maxConcurrency: number;
  /** Queries waiting beyond those; more are refused with 503. */
  maxQueued: number;
  /** Before a task is handed over: the writer moves what it holds in memory where the worker can read it. */
  beforeRun?: (task: QueryTask) => void;
  /** The worker's entry point (tests may give another). */
  workerUrl?: string;
}

interface Job {
  id: number;
  task: QueryTask;
  enqueuedAt: number;
  resolve: (v: QueryOutput) => void;
  reject: (e: AppError) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  cancel: Int32Array;
  timer: ReturnType<typeof setTimeout> | null;
  idle: ReturnType<typeof setTimeout> | null;
}

/** How long past its deadline (or its cancellation) a query may take to stop by itself. */
const graceMs = 1_000;
/** A worker idle this long is stopped; the next query starts a fresh one. */
const idleMs = 60_000;

export type QueryOutcome = "ok" | ErrorCode;

export interface QueryPoolStats {
  running: number;
  queued: number;
  workers: number;
  outcomes: Partial<Record<QueryOutcome, number>>;
}

export class QueryPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  readonly outcomes: Partial<Record<QueryOutcome, number>> = {};
  private readonly workerUrl: string;

  constructor(private readonly opts: QueryPoolOptions) {
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
  }

  stats(): QueryPoolStats {
    return {
      running: this.slots.filter((s) => s.job).length,
      queued: this.queue.length,
      workers: this.slots.length,
      outcomes: { ...this.outcomes },
    };
  }

  /** Runs `task`; `signal` (the client's request) cancels it, queued or running. */
  run(task: QueryTask, signal?: AbortSignal): Promise<QueryOutput> {
    return new Promise<QueryOutput>((resolve, reject) => {
      const done = (outcome: QueryOutcome) => {
        this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      };
      const job: Job = {
        id: this.nextId++,
        task,
        enqueuedAt: performance.now(),
        resolve: (v) => {
          done("ok");
          resolve(v);
        },
        reject: (e) => {
          done(e.code);
          reject(e);
        },
        signal,
        onAbort: null,
      };
      if (this.closed) return job.reject(new AppError("unavailable", "the query engine is stopping"));
      if (signal?.aborted) return job.reject(canceled());
      try {
        // A request that can never run is refused here, without a thread.
        validateTask(task, this.opts.limits);
      } catch (err) {
        return job.reject(err instanceof AppError ? err : new AppError("invalid", String(err)));
      }
      if (this.queue.length >= this.opts.maxQueued && !this.hasRoom())
        return job.reject(
          new AppError(
            "unavailable",
            `too many queries: ${this.opts.maxConcurrency} running and ${this.queue.length} waiting (query.max_concurrency, query.max_queued); try again`,
          ),
        );
      job.onAbort = () => this.abort(job);
      signal?.addEventListener("abort", job.onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  private hasRoom(): boolean {
    return this.slots.some((s) => !s.job) || this.slots.length < this.opts.maxConcurrency;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.hasRoom()) {
      const job = this.queue.shift() as Job;
      const slot = this.slots.find((s) => !s.job) ?? this.spawn();
      this.assign(slot, job);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { smol: true });
    const slot: Slot = {
      worker,
      job: null,
      cancel: new Int32Array(new SharedArrayBuffer(4)),
      timer: null,
      idle: null,
    };
    worker.onmessage = (e: MessageEvent<WorkerReply>) => this.answered(slot, e.data);
    worker.onerror = (e) => {
      const job = slot.job;
      this.kill(slot);
      job?.reject(new AppError("internal", `query worker failed: ${e.message}`));
      this.pump();
    };
    // An idle worker must not keep the process alive.
    refs(worker).unref();
    this.slots.push(slot);
    return slot;
  }

  private assign(slot: Slot, job: Job): void {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    const remainingMs = this.opts.limits.timeoutMs - (performance.now() - job.enqueuedAt);
    if (remainingMs <= 0) {
      this.finish(job);
      job.reject(timedOut(this.opts.limits));
      this.pump();
      return;
    }
    try {
      this.opts.beforeRun?.(job.task);
    } catch (err) {
      this.finish(job);
      job.reject(new AppError("unavailable", `the store could not be prepared: ${(err as Error).message}`));
      return;
    }
    slot.job = job;
    Atomics.store(slot.cancel, 0, 0);
    slot.timer = setTimeout(() => {
      // Past the deadline and its grace: the worker is stuck where it cannot check; stop the thread.
      if (slot.job !== job) return;
      this.kill(slot);
      this.finish(job);
      job.reject(timedOut(this.opts.limits));
      this.pump();
    }, remainingMs + graceMs);
    const request: WorkerRequest = {
      id: job.id,
      task: job.task,
      limits: this.opts.limits,
      remainingMs,
      paths: this.opts.paths,
      cancel: slot.cancel,
    };
    refs(slot.worker).ref();
    slot.worker.postMessage(request);
  }

  private answered(slot: Slot, reply: WorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    slot.job = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    refs(slot.worker).unref();
    this.finish(job);
    if (reply.ok) job.resolve(reply.result as QueryOutput);
    else job.reject(new AppError(reply.error.code as ErrorCode, reply.error.message));
    slot.idle = setTimeout(() => {
      if (!slot.job) this.kill(slot);
    }, idleMs);
    (slot.idle as { unref?: () => void }).unref?.();
    this.pump();
  }

  private abort(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finish(job);
      job.reject(canceled());
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    // Ask the query to stop at its next check; if it cannot, stop the thread.
    Atomics.store(slot.cancel, 0, 1);
    setTimeout(() => {
      if (slot.job !== job) return;
      this.kill(slot);
      this.finish(job);
      job.reject(canceled());
      this.pump();
    }, graceMs);
  }

  private finish(job: Job): void {
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    job.onAbort = null;
  }

  private kill(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.idle) clearTimeout(slot.idle);
    slot.worker.terminate();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.job = null;
  }

  /** Refuses new queries, cancels the waiting ones and stops every worker. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      this.finish(job);
      job.reject(new AppError("unavailable", "the query engine is stopping"));
    }
    for (const slot of [...this.slots]) {
      const job = slot.job;
      this.kill(slot);
      if (job) {
        this.finish(job);
        job.reject(new AppError("unavailable", "the query engine is stopping"));
      }
    }
  }
}

/**
 * The worker's entry point. From sources it sits beside this file; in the compiled binary (`npm run build`
 * lists it as a second entry point) every module's `import.meta.url` is the executable's, and the worker is
 * at its path relative to src/.
 */
function defaultWorkerUrl(): string {
  const compiled = import.meta.url.includes("/$bunfs/") || import.meta.url.includes("/~BUN/");
  return new URL(compiled ? "./telemetry/query-worker.ts" : "./query-worker.ts", import.meta.url).href;
}

/** Bun's workers can be kept from holding the process open; the DOM type does not say so. */
const refs = (w: Worker) => w as unknown as { ref(): void; unref(): void };

const canceled = () => new AppError("canceled", "query canceled: the client went away");
const timedOut = (l: QueryLimits) =>
  new AppError(
    "timeout",
    `query timed out in expression evaluation (limit: query.timeout = ${Math.round(l.timeoutMs / 1000)}s)`,
  );
