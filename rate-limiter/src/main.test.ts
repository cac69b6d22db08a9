import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { tempDirs } from "./testing/temp";

const main = join(import.meta.dir, "main.ts");
const procs: ReturnType<typeof Bun.spawn>[] = [];
const dirs = tempDirs("rl-proc-");
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  dirs.cleanup();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function until<T>(fn: () => Promise<T | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {}
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

const policy = (capacity: number) =>
  `default: { name: default, capacity: ${capacity}, refill_per_second: 0.001 }\n`;

test("validate exits 0 with the hash, or 1 with the bad field", () => {
  const dir = dirs.make();
  writeFileSync(join(dir, "good.yaml"), policy(5));
  writeFileSync(join(dir, "bad.yaml"), "default: { name: d, capacity: -3, refill_per_second: 1 }\n");
  const good = Bun.spawnSync([process.execPath, main, "validate", join(dir, "good.yaml")]);
  expect(good.exitCode).toBe(0);
  expect(good.stdout.toString()).toMatch(/^ok [0-9a-f]{12}/);
  const bad = Bun.spawnSync([process.execPath, main, "validate", join(dir, "bad.yaml")]);
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr.toString()).toContain("default.capacity");
});

test("hot reload within a second, bad config rejected, graceful stop writes a snapshot that the next start restores", async () => {
  const dir = dirs.make();
  const config = join(dir, "limits.yaml");
  const snapshot = join(dir, "state.json");
  writeFileSync(config, policy(2));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = () => {
    const p = Bun.spawn(
      [process.execPath, main, "--port", String(port), "--config", config, "--snapshot", snapshot],
      { stdout: "pipe", stderr: "pipe" },
    );
    procs.push(p);
    return p;
  };
  const check = async (key: string) =>
    (await (await fetch(`${base}/v1/check`, { method: "POST", body: JSON.stringify({ key }) })).json()) as {
      allowed: boolean;
      limit: number;
    };
  let proc = start();
  await until(async () => (await fetch(`${base}/readyz`)).ok);
  expect((await check("a")).limit).toBe(2);

  writeFileSync(config, policy(7));
  const reloadedAt = Date.now();
  // The reload is timed by when the first request that saw it was sent, not by when its answer arrived:
  // the lab runs these tests against a deliberately slow build, under load.
  let seenBy = 0;
  await until(async () => {
    const sent = Date.now();
    const seen = (await check("probe")).limit === 7;
    if (seen) seenBy = sent;
    return seen;
  }, 5000);
  expect(seenBy - reloadedAt).toBeLessThan(2000);
  const hash = createHash("sha256").update(policy(7)).digest("hex").slice(0, 12);
  expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ ready: true, hash });
  expect(await (await fetch(`${base}/metrics`)).text()).toContain(
    `ratelimiter_config_info{hash="${hash}"} 1`,
  );

  writeFileSync(config, "default: { capacity: oops }\n");
  await until(
    async () =>
      (await (await fetch(`${base}/metrics`)).text()).includes(
        'ratelimiter_config_reload_total{result="failure"} 1',
      ),
    5000,
  );
  expect((await check("probe2")).limit).toBe(7);
  expect(await (await fetch(`${base}/metrics`)).text()).toContain(
    "ratelimiter_config_last_reload_successful 0",
  );

  for (let i = 0; i < 7; i++) await check("drained");
  expect((await check("drained")).allowed).toBe(false);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  const logs = await new Response(proc.stdout).text();
  expect(logs).toContain('"msg":"snapshot written"');
  expect(existsSync(snapshot)).toBe(true);
  const first = logs.split("\n").map((l) => (l ? JSON.parse(l) : {}));
  expect(first.find((l) => l.msg === "listening")).toMatchObject({ port, level: "info" });
  expect(first.find((l) => l.msg === "config loaded")?.hash).toMatch(/^[0-9a-f]{12}$/);
  expect(logs).toContain("config reload rejected");

  writeFileSync(config, policy(7));
  proc = start();
  await until(async () => (await fetch(`${base}/readyz`)).ok);
  expect((await check("drained")).allowed).toBe(false);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 30_000);

const redisUp = await new Bun.RedisClient("redis://127.0.0.1:6379", {
  connectionTimeout: 500,
  autoReconnect: false,
})
  .send("PING", [])
  .then(() => true)
  .catch(() => false);

test.skipIf(!redisUp)(
  "two service instances sharing Redis over-admit one hot key by at most 1 %",
  async () => {
    const dir = dirs.make();
    const config = join(dir, "limits.yaml");
    // A fresh domain per run keeps this test's buckets apart from any other user of the Redis.
    const domain = `two-instances-${process.pid}-${Date.now()}`;
    writeFileSync(
      config,
      `domain: ${domain}\nstore: { type: redis, timeout_ms: 500, fail_open: false }\ndefault: { name: default, capacity: 50, refill_per_second: 20 }\n`,
    );
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      procs.push(
        Bun.spawn([process.execPath, main, "--port", String(port), "--config", config], {
          stdout: "ignore",
          stderr: "ignore",
        }),
      );
    }
    for (const port of ports) await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
    const key = `hot-${Math.random()}`;
    const started = Date.now();
    let admitted = 0;
    for (let round = 0; round < 30; round++) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`http://127.0.0.1:${ports[i % 2]}/v1/check`, {
            method: "POST",
            body: JSON.stringify({ key, domain }),
          }).then((r) => r.json() as Promise<{ allowed: boolean }>),
        ),
      );
      admitted += batch.filter((d) => d.allowed).length;
    }
    const elapsed = (Date.now() - started) / 1000;
    const bound = 50 + 20 * elapsed;
    expect(admitted).toBeGreaterThan(40);
    expect(admitted).toBeLessThanOrEqual(Math.ceil(bound * 1.01));
    // With Redis the tracked-keys gauge comes from a SCAN at scrape time (other users of the Redis may add).
    const scraped = await (await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).text();
    expect(Number(/^ratelimiter_tracked_keys (\d+)/m.exec(scraped)?.[1])).toBeGreaterThanOrEqual(1);
  },
  30_000,
);
