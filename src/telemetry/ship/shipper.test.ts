import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../lib/clock";
import { freePort } from "../../testing/ports";
import { handleLokiRequest, inlineLogQueries } from "../logs/loki-api";
import { LogStore } from "../logs/store";
import { createLokiBackend } from "../loki-backend";
import { handleRemoteWrite } from "../metrics/ingest";
import { type AppendSample, MetricStore } from "../metrics/store";
import { lokiPushSender, remoteWriteSender } from "./senders";
import { createShipper, ShipError } from "./shipper";

const dir = mkdtempSync(join(tmpdir(), "harness-ship-"));
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** A real remote-write receiver on loopback (the harness's own, which decodes the wire format). */
function receiver(port = 0, respond?: (n: number) => Response | null) {
  const store = new MetricStore(join(dir, `m-${Math.random()}.db`));
  let calls = 0;
  const server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch: (req) => respond?.(++calls) ?? handleRemoteWrite(req, store, Date.now()),
  });
  cleanups.push(() => server.stop(true));
  return { store, url: `http://127.0.0.1:${server.port}/api/v1/write`, calls: () => calls, server };
}

const samples = (n: number, t0: number) =>
  Array.from({ length: n }, (_, i) => ({
    labels: { __name__: "shipped", i: String(i % 3) },
    t: t0 + i,
    v: i,
  }));

describe("shipping samples by remote write", () => {
  test("samples and staleness markers arrive decoded at a real receiver", async () => {
    const r = receiver();
    const ship = createShipper({
      name: "remote_write",
      send: remoteWriteSender({ url: r.url }),
      clock: new FakeClock(),
    });
    const t0 = Date.now() - 10_000;
    ship.enqueue([
      ...samples(9, t0),
      { labels: { __name__: "shipped", i: "0" }, t: t0 + 20, v: Number.NaN, stale: true },
    ]);
    expect(await ship.flush()).toBe(true);
    r.store.flush();
    const got = r.store.select([{ name: "__name__", op: "=", value: "shipped" }], t0 - 1, t0 + 100);
    expect(got.map((s) => s.labels.i).sort()).toEqual(["0", "1", "2"]);
    const zero = got.find((s) => s.labels.i === "0");
    expect(zero?.samples.map((s) => s.v).slice(0, 3)).toEqual([0, 3, 6]);
    expect(zero?.samples.at(-1)?.stale).toBe(true);
    expect(ship.stats()).toMatchObject({ sent: 10, dropped: 0, queued: 0 });
  });

  test("a failing receiver is retried with backoff on the clock until it takes the batch", async () => {
    const r = receiver(0, (n) => (n <= 2 ? new Response("busy", { status: 503 }) : null));
    const clock = new FakeClock();
    const t0 = clock.now();
    const real = remoteWriteSender({ url: r.url });
    // Fake times of each send; the last one is awaited, since the receiver answers in real time.
    const sends: number[] = [];
    let last: Promise<void> | undefined;
    const ship = createShipper<AppendSample>({
      name: "remote_write",
      send: (batch) => {
        sends.push(clock.now() - t0);
        last = real(batch);
        return last;
      },
      clock,
      retryBaseMs: 500,
      flushMs: 1_000,
    });
    const answered = async () => {
      await last?.catch(() => undefined);
      await clock.settle();
    };
    ship.enqueue(samples(4, Date.now() - 1_000));
    ship.start();
    await clock.advanceAsync(999);
    expect(sends).toEqual([]);
    await clock.advanceAsync(1);
    await answered();
    await clock.advanceAsync(499);
    expect(sends).toEqual([1_000]); // the first retry waits retryBaseMs
    await clock.advanceAsync(1);
    await answered();
    await clock.advanceAsync(1_000); // the second twice that
    await answered();
    expect(sends).toEqual([1_000, 1_500, 2_500]);
    await ship.stop();
    expect(ship.stats()).toMatchObject({ sent: 4, dropped: 0, failedSends: 2 });
    expect(r.calls()).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  test("while the remote is down the queue stays bounded, keeps the newest and counts the dropped", async () => {
    const port = await freePort();
    const ship = createShipper({
      name: "remote_write",
      send: remoteWriteSender({ url: `http://127.0.0.1:${port}/api/v1/write`, timeoutMs: 500 }),
      clock: new FakeClock(),
      maxQueue: 100,
    });
    const t0 = Date.now() - 10_000;
    ship.enqueue(samples(250, t0));
    expect(await ship.flush()).toBe(false);
    expect(ship.stats()).toMatchObject({ queued: 100, dropped: 150, sent: 0 });
    expect(ship.stats().lastError).toMatch(/cannot reach/);
    const r = receiver(port);
    expect(await ship.flush()).toBe(true);
    r.store.flush();
    const got = r.store.select([{ name: "__name__", op: "=", value: "shipped" }], t0, t0 + 1_000);
    const values = got.flatMap((s) => s.samples.map((x) => x.v)).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i));
  });

  test("a 4xx answer drops the batch instead of retrying it forever", async () => {
    const r = receiver(0, () => new Response("out of order sample", { status: 400 }));
    const logged: string[] = [];
    const ship = createShipper({
      name: "remote_write",
      send: remoteWriteSender({ url: r.url }),
      clock: new FakeClock(),
      log: (m) => logged.push(m),
    });
    ship.enqueue(samples(3, Date.now()));
    expect(await ship.flush()).toBe(true);
    expect(ship.stats()).toMatchObject({ sent: 0, dropped: 3, queued: 0 });
    expect(ship.stats().lastError).toContain("out of order sample");
    expect(logged[0]).toContain("rejected");
  });

  test("a send error thrown as anything else counts as retryable", async () => {
    let n = 0;
    const ship = createShipper<number>({
      name: "test",
      clock: new FakeClock(),
      send: async () => {
        if (n++ === 0) throw new Error("boom");
      },
    });
    ship.enqueue([1, 2]);
    expect(await ship.flush()).toBe(false);
    expect(await ship.flush()).toBe(true);
    expect(ship.stats()).toMatchObject({ sent: 2, failedSends: 1 });
    expect(new ShipError("x", false).retryable).toBe(false);
  });
});

describe("shipping log lines by Loki push, read back through the Loki query client", () => {
  test("pushed lines come back by LogQL, with basic auth on every call", async () => {
    const logs = new LogStore(join(dir, "logs.db"));
    cleanups.push(() => logs.close());
    const auths = new Set<string | null>();
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        auths.add(req.headers.get("authorization"));
        return (
          (await handleLokiRequest(req, logs, Date.now(), undefined, inlineLogQueries(logs))) ??
          new Response("no", { status: 404 })
        );
      },
    });
    cleanups.push(() => server.stop(true));
    const url = `http://127.0.0.1:${server.port}`;
    const auth = { username: "12345", password: "glc_secret" };
    const ship = createShipper({
      name: "loki_push",
      send: lokiPushSender({ url, auth }),
      clock: new FakeClock(),
    });
    const now = Date.now();
    ship.enqueue([
      {
        t: now - 3_000,
        labels: { service: "rate-limiter", instance: "i0" },
        line: '{"level":"info","msg":"listening"}',
      },
      {
        t: now - 2_000,
        labels: { service: "rate-limiter", instance: "i1" },
        line: '{"level":"error","msg":"store error"}',
      },
      {
        t: now - 1_000,
        labels: { service: "rate-limiter", instance: "i0" },
        line: '{"level":"error","msg":"reload failed"}',
      },
    ]);
    expect(await ship.flush()).toBe(true);
    const loki = createLokiBackend({ url, auth, retries: 0 });
    expect(loki.kind).toBe("loki");
    const lines = await loki.lines('{service="rate-limiter"} |= "error"', now - 60_000, now, 10);
    expect(lines.map((l) => l.line)).toEqual([
      '{"level":"error","msg":"reload failed"}',
      '{"level":"error","msg":"store error"}',
    ]);
    expect(lines[0]?.labels.instance).toBe("i0");
    expect(lines[0]?.t).toBe(now - 1_000);
    const count = await loki.instantQuery(
      'sum(count_over_time({service="rate-limiter"} |= "error" [5m]))',
      now,
    );
    expect(count.resultType === "vector" && count.result[0]?.v).toBe(2);
    await expect(loki.lines('sum(count_over_time({a="b"}[1m]))', now - 1, now, 1)).rejects.toThrow(
      /metric query/,
    );
    await expect(loki.lines("{", now - 1, now, 1)).rejects.toThrow(/HTTP 400/);
    expect([...auths]).toEqual([`Basic ${Buffer.from("12345:glc_secret").toString("base64")}`]);
  });
});
