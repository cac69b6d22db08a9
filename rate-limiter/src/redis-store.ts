import type { BucketLimits, BucketState, Decision } from "./bucket";
import type { Store } from "./store";

// One atomic script per check. Time comes from Redis (TIME), so replicas with skewed clocks agree.
const script = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local hits = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then tokens = capacity; ts = now end
local elapsed = math.max(0, now - ts) / 1000
tokens = math.min(capacity, tokens + elapsed * rate)
local allowed = 0
if tokens >= hits then tokens = tokens - hits; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
if rate > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil((capacity / rate) * 1000) + 1000) end
return {allowed, tostring(tokens), now}
`;

export interface RedisStoreOptions {
  url: string;
  timeoutMs: number;
  failOpen: boolean;
  prefix?: string;
  onError?: (op: string) => void;
}

export class RedisStore implements Store {
  private client: InstanceType<typeof Bun.RedisClient>;
  private readonly prefix: string;
  constructor(private readonly opts: RedisStoreOptions) {
    this.client = new Bun.RedisClient(opts.url, {
      autoReconnect: true,
      enableOfflineQueue: false,
      connectionTimeout: 1000,
    });
    this.prefix = opts.prefix ?? "rl:";
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<T>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`redis timed out after ${this.opts.timeoutMs} ms`)),
            this.opts.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Commands are not queued while disconnected (a queued check would spend tokens late); connect first. */
  private async connected(): Promise<void> {
    if (!this.client.connected) await this.withTimeout(this.client.connect());
  }

  async check(key: string, limits: BucketLimits, hits: number): Promise<Decision> {
    try {
      await this.connected();
      const r = (await this.withTimeout(
        this.client.send("EVAL", [
          script,
          "1",
          this.prefix + key,
          String(limits.capacity),
          String(limits.refillPerSecond),
          String(hits),
        ]),
      )) as [number, string, number];
      const tokens = Number(r[1]);
      const allowed = r[0] === 1;
      const rate = limits.refillPerSecond;
      return {
        allowed,
        remaining: Math.floor(tokens),
        retryAfterMs: allowed
          ? 0
          : rate > 0
            ? Math.ceil(((hits - tokens) / rate) * 1000)
            : Number.POSITIVE_INFINITY,
        resetAfterMs: rate > 0 ? Math.ceil(((limits.capacity - tokens) / rate) * 1000) : 0,
        state: { tokens, updatedMs: Number(r[2]) },
      };
    } catch {
      this.opts.onError?.("check");
      // Fail open keeps the API up when Redis is down; fail closed protects the backend instead.
      const allowed = this.opts.failOpen;
      return {
        allowed,
        remaining: allowed ? limits.capacity : 0,
        retryAfterMs: allowed ? 0 : 1000,
        resetAfterMs: 0,
        state: { tokens: 0, updatedMs: Date.now() },
      };
    }
  }

  peek(_key: string): BucketState | undefined {
    return undefined;
  }
  size(): number {
    return 0;
  }
  async ready(): Promise<boolean> {
    try {
      await this.connected();
      return (await this.withTimeout(this.client.send("PING", []))) === "PONG";
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {
    this.client.close();
  }
}
