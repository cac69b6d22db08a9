import { afterAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { RedisStore } from "./redis";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const reachable = await new Bun.RedisClient(url, { connectionTimeout: 500, autoReconnect: false })
  .send("PING", [])
  .then(() => true)
  .catch(() => false);
if (!reachable) console.warn(`skipping Redis store tests: no Redis at ${url}`);

const limits = { capacity: 20, refillPerSecond: 10 };
const prefix = `rl-test-${process.pid}-${Date.now()}:`;
const stores: RedisStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});
const store = (opts: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}) => {
  const s = new RedisStore({ url, timeoutMs: 200, failOpen: true, prefix, ...opts });
  stores.push(s);
  return s;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

describe.skipIf(!reachable)("Redis store (real Redis)", () => {
  test("the Lua script keeps one bucket that two replicas share", async () => {
    const a = store();
    const b = store();
    const key = `shared-${Math.random()}`;
    const results = [];
    for (let i = 0; i < 12; i++)
      results.push(await (i % 2 ? a : b).check(key, { capacity: 10, refillPerSecond: 0.001 }, 1));
    expect(results.filter((r) => r.allowed).length).toBe(10);
    expect(results.at(-1)?.retryAfterMs).toBeGreaterThan(0);
    expect(await a.ready()).toBe(true);
  });

  test("two replicas hammering one hot key over-admit by at most 1 %", async () => {
    const a = store({ timeoutMs: 2000 });
    const b = store({ timeoutMs: 2000 });
    const key = `hot-${Math.random()}`;
    const started = Date.now();
    let admitted = 0;
    for (let round = 0; round < 40; round++) {
      const batch = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).check(key, limits, 1)),
      );
      admitted += batch.filter((d) => d.allowed).length;
    }
    const elapsed = (Date.now() - started) / 1000;
    const bound = limits.capacity + limits.refillPerSecond * (elapsed + 0.05);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(bound * 1.01));
  });

  test("checks in one event-loop turn share script calls and decide as if one by one", async () => {
    const a = store({ timeoutMs: 2000 });
    const calls = async () => {
      const client = new Bun.RedisClient(url);
      const info = String(await client.send("INFO", ["commandstats"]));
      client.close();
      const of = (cmd: string) => Number(info.match(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`))?.[1] ?? 0);
      return of("evalsha") + of("eval");
    };
    const tag = Math.random();
    const slow = { capacity: 5, refillPerSecond: 0.001 };
    const before = await calls();
    // 300 checks queued in one turn, 128 per call at most: three calls. Three hot keys interleaved, a
    // costly check that cannot pass, and a peek at a key nobody has written.
    const keys = [`b-a-${tag}`, `b-b-${tag}`, `b-c-${tag}`];
    const pending = Array.from({ length: 297 }, (_, i) => a.check(keys[i % 3] as string, slow, 1));
    const costly = a.check(keys[0] as string, slow, 6);
    const peek = a.check(`b-none-${tag}`, slow, 0);
    const decided = await Promise.all(pending);
    expect((await calls()) - before).toBe(3);
    for (let k = 0; k < 3; k++) {
      const own = decided.filter((_, i) => i % 3 === k);
      // The first five of each key pass, in the order they were asked, with the count going down.
      expect(own.map((d) => d.allowed)).toEqual(own.map((_, i) => i < 5));
      expect(own.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
    }
    expect((await costly).allowed).toBe(false);
    expect((await peek).remaining).toBe(5);
    expect(await a.inspect(`b-none-${tag}`, slow)).toBeUndefined();
    expect((await a.inspect(keys[1] as string, slow))?.tokens).toBeLessThan(0.1);
  });

  test("a batch of mixed hits, peeks and keys decides exactly as the same checks one at a time", async () => {
    const a = store({ timeoutMs: 2000 });
    const noRefill = { capacity: 7, refillPerSecond: 0 };
    // A fixed pseudo-random sequence: runs of equal hits on a key group together, a change of hits splits.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const seq = Array.from({ length: 120 }, () => ({
      key: rnd(4),
      hits: [0, 1, 1, 1, 2, 3][rnd(6)] as number,
    }));
    const tag = Math.random();
    const one: [boolean, number][] = [];
    for (const c of seq) {
      const d = await a.check(`seq-one-${c.key}-${tag}`, noRefill, c.hits);
      one.push([d.allowed, d.remaining]);
    }
    const batched = await Promise.all(seq.map((c) => a.check(`seq-all-${c.key}-${tag}`, noRefill, c.hits)));
    expect(batched.map((d) => [d.allowed, d.remaining])).toEqual(one);
    expect(one.some(([allowed]) => !allowed)).toBe(true);
    const cleanup = new Bun.RedisClient(url);
    for (let k = 0; k < 4; k++)
      await cleanup.send("DEL", [`${prefix}seq-one-${k}-${tag}`, `${prefix}seq-all-${k}-${tag}`]);
    cleanup.close();
  });

  test("inspect sees the shared bucket; a peek at an unknown key writes nothing", async () => {
    const a = store();
    const key = `inspect-${Math.random()}`;
    expect(await a.inspect(key, limits)).toBeUndefined();
    expect((await a.check(key, limits, 0)).remaining).toBe(20);
    expect(await a.inspect(key, limits)).toBeUndefined();
    await store().check(key, limits, 15);
    const seen = await a.inspect(key, limits);
    expect(seen?.tokens).toBeGreaterThanOrEqual(5);
    expect(seen?.tokens).toBeLessThan(7);
  });

  test("a Redis that accepts but never answers: the check still answers, by its timeout", async () => {
    // A listener that never speaks RESP: the only way out is the per-call deadline.
    const sockets: import("node:net").Socket[] = [];
    const silent = createServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const addr = silent.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    try {
      const closed = store({ url: `redis://127.0.0.1:${port}`, timeoutMs: 50, failOpen: false });
      const guard = Bun.sleep(3000).then(() => "guard");
      const d = await Promise.race([closed.check("k", limits, 1), guard]);
      expect(d).toMatchObject({ allowed: false });
    } finally {
      for (const sock of sockets) sock.destroy();
      silent.close();
    }
  });

  test("unreachable Redis: fail-open allows, fail-closed denies, both within the timeout", async () => {
    const port = await freePort();
    const open = store({ url: `redis://127.0.0.1:${port}`, timeoutMs: 50, failOpen: true });
    const closed = store({ url: `redis://127.0.0.1:${port}`, timeoutMs: 50, failOpen: false });
    const errors: string[] = [];
    const counted = store({
      url: `redis://127.0.0.1:${port}`,
      timeoutMs: 50,
      failOpen: true,
      onError: (op) => void errors.push(op),
    });
    expect((await open.check("k", limits, 1)).allowed).toBe(true);
    expect((await closed.check("k", limits, 1)).allowed).toBe(false);
    await counted.check("k", limits, 1);
    expect(errors).toEqual(["check"]);
    await expect(counted.inspect("k", limits)).rejects.toThrow();
    expect(await open.ready()).toBe(false);
  });

  test("a reloaded timeout and fail mode apply to the next check", async () => {
    const port = await freePort();
    const s = store({ url: `redis://127.0.0.1:${port}`, timeoutMs: 50, failOpen: true });
    expect((await s.check("k", limits, 1)).allowed).toBe(true);
    s.setLimits(50, false);
    expect((await s.check("k", limits, 1)).allowed).toBe(false);
  });

  test("reconnects after Redis restarts, without restarting the service", async () => {
    const port = await freePort();
    const start = () =>
      Bun.spawn(
        ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdout: "ignore", stderr: "ignore" },
      );
    let server = start();
    const s = store({ url: `redis://127.0.0.1:${port}`, timeoutMs: 300, failOpen: false });
    const until = async (want: boolean) => {
      for (let i = 0; i < 50; i++) {
        if ((await s.ready()) === want) return true;
        await Bun.sleep(100);
      }
      return false;
    };
    expect(await until(true)).toBe(true);
    expect((await s.check("k", limits, 1)).allowed).toBe(true);
    server.kill("SIGKILL");
    await server.exited;
    expect(await until(false)).toBe(true);
    expect((await s.check("k", limits, 1)).allowed).toBe(false); // fail-closed while down
    server = start();
    expect(await until(true)).toBe(true);
    expect((await s.check("k", limits, 1)).allowed).toBe(true);
    server.kill("SIGKILL");
  }, 20_000);
});

describe.skipIf(!reachable)("Redis store key count", () => {
  test("countKeys counts this store's buckets by SCAN, and nothing under other prefixes", async () => {
    const own = store({ prefix: `rl-count-${process.pid}-${Date.now()}:` });
    const other = store({ prefix: `rl-other-${process.pid}-${Date.now()}:` });
    expect(await own.countKeys()).toBe(0);
    for (let i = 0; i < 2500; i++) await own.check(`k${i}`, { capacity: 5, refillPerSecond: 0.01 }, 1);
    await other.check("x", { capacity: 5, refillPerSecond: 0.01 }, 1);
    expect(await own.countKeys()).toBe(2500);
    expect(await other.countKeys()).toBe(1);
  });

  test("countKeys answers undefined, not a partial count, when Redis is unreachable", async () => {
    const dead = store({ url: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 50 });
    expect(await dead.countKeys(100)).toBeUndefined();
  });
});
