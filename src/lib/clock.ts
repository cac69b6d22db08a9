/**
 * Time source and timers passed explicitly, so tests drive leases, schedules, loops and verification windows
 * with a FakeClock instead of sleeping. Production code reads the time and schedules its loops only through
 * a Clock; `systemClock` is the one place that touches `Date.now()` and the global timers.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  /** Runs `fn` every `ms` (at least 1) until cleared; the first run is `ms` from now. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
  /** Resolves after `ms`; rejects with the signal's reason if it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

declare const timerBrand: unique symbol;
/** Opaque: only the clock that made a handle can clear it. */
export type TimerHandle = { readonly [timerBrand]: true };

type Global = ReturnType<typeof globalThis.setTimeout>;
const toHandle = (t: Global) => t as unknown as TimerHandle;
const fromHandle = (h: TimerHandle) => h as unknown as Global;

/** Rejects at once if already aborted; otherwise arms `arm` and rejects when the signal fires. */
function abortable(signal: AbortSignal | undefined, arm: (resolve: () => void) => () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      disarm();
      reject(signal?.reason);
    };
    const disarm = arm(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => toHandle(globalThis.setTimeout(fn, ms)),
  clearTimeout: (h) => {
    if (h) globalThis.clearTimeout(fromHandle(h));
  },
  setInterval: (fn, ms) => toHandle(globalThis.setInterval(fn, ms)),
  clearInterval: (h) => {
    if (h) globalThis.clearInterval(fromHandle(h));
  },
  sleep: (ms, signal) =>
    abortable(signal, (done) => {
      const t = globalThis.setTimeout(done, ms);
      return () => globalThis.clearTimeout(t);
    }),
};

interface FakeTimer {
  id: number;
  /** Order among timers due at the same time: when it was armed, or last re-armed. */
  seq: number;
  at: number;
  /** Set for an interval: it is re-armed this far after each run. */
  every: number | null;
  fn: () => void;
}

/** One real macrotask turn: every promise continuation queued so far runs before it. */
const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A timer that re-arms itself at 0 ms would spin `advance` forever; past this many runs it throws instead. */
const MAX_FIRES_PER_ADVANCE = 100_000;

/**
 * Time that moves only when a test says so. Timers fire in order of due time (ties in the order they were
 * set), each with `now()` at its due time; an interval is re-armed after it runs. `advance` is synchronous;
 * `advanceAsync` also lets promise continuations run after each timer, so loops of `await clock.sleep()` and
 * async work started by a timer progress as they would in real time.
 */
export class FakeClock implements Clock {
  private timers: FakeTimer[] = [];
  private nextId = 1;
  private nextSeq = 1;

  constructor(private t = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.add(fn, every, every);
  }

  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const id = (handle as unknown as { id: number }).id;
    this.timers = this.timers.filter((x) => x.id !== id);
  }

  clearInterval(handle: TimerHandle | null | undefined): void {
    this.clearTimeout(handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return abortable(signal, (done) => {
      const h = this.setTimeout(done, ms);
      return () => this.clearTimeout(h);
    });
  }

  /** Timers armed and not yet fired or cleared (an interval counts once). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, synchronously. */
  advance(ms: number): void {
    const target = this.t + Math.max(0, ms);
    let fired = 0;
    for (let timer = this.due(target); timer; timer = this.due(target)) {
      this.fire(timer);
      if (++fired > MAX_FIRES_PER_ADVANCE)
        throw new Error("FakeClock: a timer keeps re-arming itself at 0 ms");
    }
    this.t = target;
  }

  /**
   * Like `advance`, but lets pending promise continuations run before time moves and after each timer, so
   * what a timer starts (an awaited store call, the next `await clock.sleep()`) is done before the next one.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.t + Math.max(0, ms);
    await this.settle();
    let fired = 0;
    for (let timer = this.due(target); timer; timer = this.due(target)) {
      this.fire(timer);
      await this.settle();
      if (++fired > MAX_FIRES_PER_ADVANCE)
        throw new Error("FakeClock: a timer keeps re-arming itself at 0 ms");
    }
    this.t = target;
    await this.settle();
  }

  /**
   * Lets queued promise continuations run without moving time. A few real turns, not one: a continuation can
   * itself wait on another turn (a `finally`, an `allSettled` over several scrapes).
   */
  async settle(turns = 5): Promise<void> {
    for (let i = 0; i < turns; i++) await realTurn();
  }

  /** Sets the time; moving forward runs the timers due on the way, as `advance` does. */
  set(ms: number): void {
    if (ms > this.t) this.advance(ms - this.t);
    else this.t = ms;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: FakeTimer = {
      id: this.nextId++,
      seq: this.nextSeq++,
      at: this.t + Math.max(0, ms),
      every,
      fn,
    };
    this.timers.push(timer);
    return { id: timer.id } as unknown as TimerHandle;
  }

  /** The earliest timer due by `target`, ties broken by the order they were armed. */
  private due(target: number): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const x of this.timers)
      if (x.at <= target && (!first || x.at < first.at || (x.at === first.at && x.seq < first.seq)))
        first = x;
    return first;
  }

  private fire(timer: FakeTimer): void {
    this.t = Math.max(this.t, timer.at);
    if (timer.every === null) this.timers = this.timers.filter((x) => x !== timer);
    else {
      timer.at += timer.every;
      timer.seq = this.nextSeq++;
    }
    timer.fn();
  }
}
