import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type BucketLimits, type BucketState, type Decision, take } from "./bucket";

export interface Store {
  check(key: string, limits: BucketLimits, hits: number): Promise<Decision>;
  peek(key: string): BucketState | undefined;
  size(): number;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Bounded in-memory buckets. Map order is insertion order; touching a key re-inserts it, so the first keys
 * are the least recently used. Full buckets carry no state and go first when space is needed.
 */
export class MemoryStore implements Store {
  private buckets = new Map<string, BucketState & { capacity: number }>();
  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  async check(key: string, limits: BucketLimits, hits: number): Promise<Decision> {
    const prev = this.buckets.get(key);
    const d = take(prev, limits, hits, this.now());
    this.buckets.delete(key);
    this.buckets.set(key, { ...d.state, capacity: limits.capacity });
    if (this.buckets.size > this.maxKeys) this.evict();
    return d;
  }

  private evict(): void {
    const over = this.buckets.size - this.maxKeys;
    let removed = 0;
    const now = this.now();
    for (const [k, b] of this.buckets) {
      if (removed >= over) return;
      // A bucket that has refilled completely is indistinguishable from a new one.
      if (b.tokens >= b.capacity || now - b.updatedMs > 3_600_000) {
        this.buckets.delete(k);
        removed++;
      }
    }
    for (const k of this.buckets.keys()) {
      if (removed >= over) return;
      this.buckets.delete(k);
      removed++;
    }
  }

  peek(key: string): BucketState | undefined {
    return this.buckets.get(key);
  }
  size(): number {
    return this.buckets.size;
  }
  async ready(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}

  /** Written on graceful shutdown so a restart or deploy never hands clients a fresh burst. */
  saveSnapshot(path: string): number {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, buckets: [...this.buckets] }));
    renameSync(tmp, path);
    return this.buckets.size;
  }

  loadSnapshot(path: string): number {
    if (!existsSync(path)) return 0;
    try {
      const data = JSON.parse(readFileSync(path, "utf8")) as {
        version: number;
        buckets: [string, BucketState & { capacity: number }][];
      };
      if (data.version !== 1) return 0;
      for (const [k, b] of data.buckets.slice(-this.maxKeys)) this.buckets.set(k, b);
      return this.buckets.size;
    } catch {
      return 0;
    }
  }
}
