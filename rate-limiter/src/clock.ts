/**
 * Time and timers, passed in so tests drive the reload poll and settle timers with a FakeClock instead of
 * sleeping. The same shape as the harness's clock; a copy, because this service imports nothing from the
 * harness.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
  sleep(ms: number): Promise<void>;
}

declare const timerBrand: unique symbol;
export type TimerHandle = { readonly [timerBrand]: true };

type Global = ReturnType<typeof globalThis.setTimeout>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (h) => {
    if (h) globalThis.clearTimeout(h as unknown as Global);
  },
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms) as unknown as TimerHandle,
  clearInterval: (h) => {
    if (h) globalThis.clearInterval(h as unknown as Global);
  },
  sleep: (ms) => Bun.sleep(ms),
};

interface FakeTimer {
  id: number;
  /** Order among timers due at once: when armed or last re-armed. */
  seq: number;
  at: number;
  every: number | null;
  fn: () => void;
}

/** Time that moves only on `advance`, which runs the timers falling due in order, each at its due time. */
export class FakeClock implements Clock {
  private timers: FakeTimer[] = [];
  private seq = 0;

  constructor(private t = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(0, ms), null);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.add(fn, every, every);
  }
  clearTimeout(handle: TimerHandle | null | undefined): void {
    const id = (handle as { id?: number } | null | undefined)?.id;
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  clearInterval(handle: TimerHandle | null | undefined): void {
    this.clearTimeout(handle);
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }
  get pendingTimers(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const target = this.t + Math.max(0, ms);
    for (let n = 0; ; n++) {
      let next: FakeTimer | undefined;
      for (const x of this.timers)
        if (x.at <= target && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      if (n > 100_000) throw new Error("FakeClock: a timer keeps re-arming itself at 0 ms");
      this.t = Math.max(this.t, next.at);
      if (next.every === null) this.timers = this.timers.filter((x) => x !== next);
      else {
        next.at += next.every;
        next.seq = ++this.seq;
      }
      next.fn();
    }
    this.t = target;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer = { id: ++this.seq, seq: this.seq, at: this.t + ms, every, fn };
    this.timers.push(timer);
    return { id: timer.id } as unknown as TimerHandle;
  }
}
