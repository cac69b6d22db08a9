import { type BucketLimits, type BucketState, type Decision, decision } from "../bucket";
import { systemClock } from "../clock";
import type { Store } from "./store";

// Every check runs inside one atomic script, with time from Redis (TIME), so replicas with skewed clocks
// agree. Checks that arrive in the same event-loop turn share one script call. KEYS are their distinct
// buckets; ARGV is the number of groups, then five numbers per group: index into KEYS, capacity, refill per
// second, hits, count. A group is `count` checks in a row on one bucket with the same limits and hits (a
// hot key): decided one by one, in order, exactly as if they had come alone, but sent and answered once.
// The answer is four values per group, flat: how many passed, the tokens before the first (full
// precision), now, existed. A peek (hits 0) at a missing key writes nothing. Each bucket is read once and
// written once per call.
export const checkScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tok, tss, read, dirty, caps, order = {}, {}, {}, {}, {}, {}
local out = {}
for g = 1, tonumber(ARGV[1]) do
  local a = 5 * g - 3
  local k = tonumber(ARGV[a])
  local capacity = tonumber(ARGV[a + 1])
  local rate = tonumber(ARGV[a + 2])
  local hits = tonumber(ARGV[a + 3])
  local count = tonumber(ARGV[a + 4])
  if not read[k] then
    local b = redis.call('HMGET', KEYS[k], 'tokens', 'ts')
    tok[k] = tonumber(b[1]); tss[k] = tonumber(b[2]); read[k] = true
  end
  local tokens, ts, existed = tok[k], tss[k], 1
  if tokens == nil or ts == nil then tokens = capacity; ts = now; existed = 0 end
  local elapsed = math.max(0, now - ts) / 1000
  tokens = math.min(capacity, tokens + elapsed * rate)
  local before = tokens
  local passed = 0
  while passed < count and tokens >= hits do tokens = tokens - hits; passed = passed + 1 end
  if hits > 0 or existed == 1 then
    tok[k] = tokens; tss[k] = math.max(now, ts)
    if not dirty[k] then order[#order + 1] = k end
    dirty[k] = rate
    caps[k] = capacity
  end
  local o = 4 * g - 3
  out[o] = passed; out[o + 1] = string.format('%.17g', before); out[o + 2] = now; out[o + 3] = existed
end
for _, k in ipairs(order) do
  redis.call('HSET', KEYS[k], 'tokens', tostring(tok[k]), 'ts', tostring(tss[k]))
  -- A bucket expires once it would be full again: it carries no state after that.
  local rate = dirty[k]
  if rate > 0 then redis.call('PEXPIRE', KEYS[k], math.ceil(((caps[k] - tok[k]) / rate) * 1000) + 1000) end
end
return out
`;

/** Checks per script call at most: a long script holds Redis for every other client. */
export const maxBatch = 128;

type Row = [allowed: number, tokens: number, nowMs: number, existed: number];
interface Pending {
  key: string;
  limits: BucketLimits;
  hits: number;
  resolve: (row: Row) => void;
  reject: (err: Error) => void;
}

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

  private queue: Pending[] = [];
  private flushing = false;

  /**
   * Queues one check for the next batch. The batch goes out once the current event-loop turn has
   * queued what it will: one write to Redis and one script run for all of them, instead of one each.
   */
  private run(key: string, limits: BucketLimits, hits: number): Promise<Row> {
    return new Promise<Row>((resolve, reject) => {
      this.queue.push({ key, limits, hits, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushing = false;
    const queued = this.queue;
    this.queue = [];
    for (let i = 0; i < queued.length; i += maxBatch) this.send(queued.slice(i, i + maxBatch));
  }

  /** EVALSHA saves sending the script each time; EVAL loads it after a Redis restart (NOSCRIPT). */
  private send(batch: Pending[]): void {
    // Runs of checks on one bucket with the same limits and hits become one group; buckets are independent,
    // so only the order within a bucket matters, and it is kept.
    const keys: string[] = [];
    const lastGroup = new Map<string, Pending[]>();
    const groups: { k: number; checks: Pending[] }[] = [];
    const slot = new Map<string, number>();
    for (const p of batch) {
      const last = lastGroup.get(p.key);
      const head = last?.[0];
      if (
        last &&
        head &&
        head.hits === p.hits &&
        head.limits.capacity === p.limits.capacity &&
        head.limits.refillPerSecond === p.limits.refillPerSecond
      ) {
        last.push(p);
        continue;
      }
      let k = slot.get(p.key);
      if (k === undefined) {
        k = keys.push(this.prefix + p.key);
        slot.set(p.key, k);
      }
      const checks = [p];
      groups.push({ k, checks });
      lastGroup.set(p.key, checks);
    }
    const argv: string[] = [String(groups.length)];
    for (const g of groups) {
      const head = g.checks[0] as Pending;
      argv.push(
        String(g.k),
        String(head.limits.capacity),
        String(head.limits.refillPerSecond),
        String(head.hits),
        String(g.checks.length),
      );
    }
    const args = [String(keys.length), ...keys, ...argv];
    this.withDeadline(() =>
      this.client.send("EVALSHA", [scriptSha, ...args]).catch((err: Error) => {
        if (!String(err.message).includes("NOSCRIPT")) throw err;
        return this.client.send("EVAL", [checkScript, ...args]);
      }),
    ).then(
      (reply) => {
        const flat = reply as (number | string)[];
        for (let g = 0; g < groups.length; g++) {
          const { checks } = groups[g] as { checks: Pending[] };
          const passed = Number(flat[4 * g]);
          // The same subtractions as the script's, on the same doubles: the same tokens after each check.
          let tokens = Number(flat[4 * g + 1]);
          const now = Number(flat[4 * g + 2]);
          let existed = Number(flat[4 * g + 3]);
          for (let i = 0; i < checks.length; i++) {
            const p = checks[i] as Pending;
            const allowed = i < passed;
            if (allowed) tokens -= p.hits;
            p.resolve([allowed ? 1 : 0, tokens, now, existed]);
            if (p.hits > 0) existed = 1;
          }
        }
      },
      (err: Error) => {
        for (const p of batch) p.reject(err);
      },
    );
  }

  check(key: string, limits: BucketLimits, hits: number): Promise<Decision> {
    // `then` with both handlers rather than an async function's await and try: one promise hop, not three.
    return this.run(key, limits, hits).then(
      ([passed, tokens, updatedMs]) => decision(limits, hits, passed === 1, tokens, updatedMs),
      (err: Error) => {
        this.opts.onError?.("check", err);
        // Fail open keeps the API up when Redis is down; fail closed protects the backend instead.
        const allowed = this.opts.failOpen;
        return {
          allowed,
          remaining: allowed ? Math.floor(limits.capacity) : 0,
          retryAfterMs: allowed ? 0 : 1000,
          resetAfterMs: 0,
          state: { tokens: allowed ? limits.capacity : 0, updatedMs: systemClock.now() },
        };
      },
    );
  }

  async inspect(key: string, limits: BucketLimits): Promise<BucketState | undefined> {
    try {
      const r = await this.run(key, limits, 0);
      return r[3] === 1 ? { tokens: r[1], updatedMs: r[2] } : undefined;
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
