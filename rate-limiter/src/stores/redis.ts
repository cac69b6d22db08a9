import type { BucketLimits, BucketState, Decision } from "../bucket";
import type { Store } from "./store";

// One atomic script per check. Time comes from Redis (TIME), so replicas with skewed clocks agree.
// Returns {allowed, tokens, now, existed}; a peek (hits 0) at a missing key writes nothing.
export const checkScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local hits = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
local existed = 1
if tokens == nil or ts == nil then tokens = capacity; ts = now; existed = 0 end
local elapsed = math.max(0, now - ts) / 1000
tokens = math.min(capacity, tokens + elapsed * rate)
local allowed = 0
if tokens >= hits then tokens = tokens - hits; allowed = 1 end
if hits > 0 or existed == 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))
  -- A bucket expires once it would be full again: it carries no state after that.
  if rate > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(((capacity - tokens) / rate) * 1000) + 1000) end
end
return {allowed, tostring(tokens), now, existed}
`;

const scriptSha = new Bun.CryptoHasher("sha1").update(checkScript).digest("hex");

export interface RedisStoreOptions {
  url: string;
  timeoutMs: number;
  failOpen: boolean;
  prefix?: string;
  onError?: (op: string, err: Error) => void;
}

class Timeout extends Error {}

export class RedisStore implements Store {
  private client: InstanceType<typeof Bun.RedisClient>;
  private readonly prefix: string;
  constructor(private opts: RedisStoreOptions) {
    // No offline queue: a check queued while Redis is down would spend tokens late, after its answer.
    this.client = new Bun.RedisClient(opts.url, {
      autoReconnect: true,
      enableOfflineQueue: false,
      connectionTimeout: 1000,
    });
    this.prefix = opts.prefix ?? "rl:";
  }

  /** One deadline for connecting and the command together, so a check never waits longer than timeout_ms. */
  private withDeadline<T>(work: () => Promise<T>, ms = this.opts.timeoutMs): Promise<T> {
    // Connected is the common case: go straight to the command, without an extra async frame.
    const running = this.client.connected ? work() : this.client.connect().then(work);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`redis timed out after ${ms} ms`)), ms);
    });
    return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
  }

  /** EVALSHA saves sending the script each time; EVAL loads it after a Redis restart (NOSCRIPT). */
  private async run(
    key: string,
    limits: BucketLimits,
    hits: number,
  ): Promise<[number, string, number, number]> {
    const args = [
      "1",
      this.prefix + key,
      String(limits.capacity),
      String(limits.refillPerSecond),
      String(hits),
    ];
    return (await this.withDeadline(() =>
      this.client.send("EVALSHA", [scriptSha, ...args]).catch((err: Error) => {
        if (!String(err.message).includes("NOSCRIPT")) throw err;
        return this.client.send("EVAL", [checkScript, ...args]);
      }),
    )) as [number, string, number, number];
  }

  async check(key: string, limits: BucketLimits, hits: number): Promise<Decision> {
    try {
      const r = await this.run(key, limits, hits);
      const tokens = Number(r[1]);
      const allowed = Number(r[0]) === 1;
      const rate = limits.refillPerSecond;
      return {
        allowed,
        remaining: Math.floor(tokens),
        retryAfterMs: allowed
          ? 0
          : rate > 0 && hits <= limits.capacity
            ? Math.ceil(((hits - tokens) / rate) * 1000)
            : Number.POSITIVE_INFINITY,
        resetAfterMs: rate > 0 ? Math.ceil(((limits.capacity - tokens) / rate) * 1000) : 0,
        state: { tokens, updatedMs: Number(r[2]) },
      };
    } catch (err) {
      this.opts.onError?.("check", err as Error);
      // Fail open keeps the API up when Redis is down; fail closed protects the backend instead.
      const allowed = this.opts.failOpen;
      return {
        allowed,
        remaining: allowed ? Math.floor(limits.capacity) : 0,
        retryAfterMs: allowed ? 0 : 1000,
        resetAfterMs: 0,
        state: { tokens: allowed ? limits.capacity : 0, updatedMs: Date.now() },
      };
    }
  }

  async inspect(key: string, limits: BucketLimits): Promise<BucketState | undefined> {
    try {
      const r = await this.run(key, limits, 0);
      return Number(r[3]) === 1 ? { tokens: Number(r[1]), updatedMs: Number(r[2]) } : undefined;
    } catch (err) {
      this.opts.onError?.("inspect", err as Error);
      throw err;
    }
  }

  size(): number {
    return -1;
  }

  /** Applies a reloaded `store.timeout_ms` and `store.fail_open`: the next check uses them. */
  setLimits(timeoutMs: number, failOpen: boolean): void {
    this.opts = { ...this.opts, timeoutMs, failOpen };
  }

  /**
   * Counts this store's keys with SCAN (never KEYS, which blocks Redis). Gives up after `budgetMs` and
   * answers undefined rather than a partial count: a gauge that undercounts would look like a fix.
   */
  async countKeys(budgetMs = 250): Promise<number | undefined> {
    const until = performance.now() + budgetMs;
    let cursor = "0";
    let n = 0;
    try {
      do {
        const [next, keys] = (await this.withDeadline(
          () => this.client.send("SCAN", [cursor, "MATCH", `${this.prefix}*`, "COUNT", "1000"]),
          budgetMs,
        )) as [string, string[]];
        cursor = String(next);
        n += keys.length;
        if (performance.now() > until && cursor !== "0") return undefined;
      } while (cursor !== "0");
      return n;
    } catch (err) {
      this.opts.onError?.("count", err as Error);
      return undefined;
    }
  }

  async ready(): Promise<boolean> {
    try {
      // Readiness is not on the request path; a tight check timeout would flap it on a busy host.
      const ms = Math.max(this.opts.timeoutMs, 250);
      return (await this.withDeadline(() => this.client.send("PING", []), ms)) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
