import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../lib/clock";
import { waitFor } from "../testing/ports";
import { prometheusBinary, startPrometheus } from "../testing/prometheus-server";
import { MetricStore } from "./metrics/store";
import { createPrometheusBackend } from "./prometheus-backend";
import { instantQuery } from "./promql/promql";
import { remoteWriteSender } from "./ship/senders";
import { createShipper } from "./ship/shipper";
import type { QueryResult } from "./types";

const stops: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of stops) await s();
});

describe.skipIf(!prometheusBinary)("remote Prometheus backend against a real Prometheus", () => {
  test("instant and range queries, errors with the server's message", async () => {
    let hits = 0;
    const exporter = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => {
        hits++;
        return new Response(
          `# TYPE demo_requests_total counter\ndemo_requests_total{code="200"} ${hits * 10}\ndemo_requests_total{code="500"} ${hits}\n`,
        );
      },
    });
    stops.push(() => exporter.stop(true));
    const prom = await startPrometheus([{ job: "demo", address: `127.0.0.1:${exporter.port}` }]);
    stops.push(() => prom.stop());
    const backend = createPrometheusBackend({ url: prom.url, retries: 0 });
    expect(backend.kind).toBe("prometheus");
    const up = await waitFor(
      "scraped",
      async () => {
        const r = await backend.instantQuery('up{job="demo"}', Date.now());
        return r.resultType === "vector" && r.result.length === 1 ? r : null;
      },
      20_000,
      200,
    );
    expect(up.resultType === "vector" && up.result[0]?.v).toBe(1);
    const byCode = await backend.instantQuery("sum by (code) (demo_requests_total)", Date.now());
    expect(byCode.resultType).toBe("vector");
    if (byCode.resultType === "vector") {
      expect(byCode.result.map((s) => s.labels.code).sort()).toEqual(["200", "500"]);
    }
    const now = Date.now();
    const range = await backend.rangeQuery('up{job="demo"}', now - 5_000, now, 1_000);
    expect(range.resultType).toBe("matrix");
    const scalar = await backend.instantQuery("1 + 1", now);
    expect(scalar).toEqual({ resultType: "scalar", result: { t: now, v: 2 } });
    await expect(backend.instantQuery("sum(", now)).rejects.toThrow(/parse error/);
  }, 40_000);

  test("samples shipped by remote write are what the real Prometheus answers with", async () => {
    const prom = await startPrometheus([]);
    stops.push(() => prom.stop());
    const ship = createShipper({
      name: "remote_write",
      send: remoteWriteSender({ url: `${prom.url}/api/v1/write` }),
      clock: new FakeClock(), // flushed by hand, never started
    });
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    // Two counters over one minute at 15 s, one of them reset in the middle.
    const values = { a: [0, 10, 20, 30, 40], b: [5, 7, 1, 3, 5] };
    for (const [job, vs] of Object.entries(values))
      ship.enqueue(vs.map((v, i) => ({ labels: { __name__: "shipped_total", job }, t: t0 + i * 15_000, v })));
    expect(await ship.flush()).toBe(true);
    expect(ship.stats()).toMatchObject({ sent: 10, dropped: 0 });
    // The same samples in the embedded store: both engines must give the same answer.
    const local = new MetricStore(join(mkdtempSync(join(tmpdir(), "harness-rw-")), "m.db"));
    stops.push(() => local.close());
    for (const [job, vs] of Object.entries(values))
      local.append(vs.map((v, i) => ({ labels: { __name__: "shipped_total", job }, t: t0 + i * 15_000, v })));
    const backend = createPrometheusBackend({ url: prom.url, retries: 0 });
    for (const q of [
      "sum by (job) (increase(shipped_total[2m]))",
      "resets(shipped_total[5m])",
      "shipped_total",
    ]) {
      const remote = await backend.instantQuery(q, t0 + 60_000);
      const embedded = instantQuery(local, q, t0 + 60_000);
      const values = (r: QueryResult) =>
        r.resultType === "vector" ? r.result.map((s) => `${s.labels.job}=${s.v}`).sort() : [];
      expect(values(remote).length).toBe(2);
      expect(values(remote)).toEqual(values(embedded));
    }
  }, 40_000);

  test("unreachable server is a clear error after retries", async () => {
    const backend = createPrometheusBackend({
      url: "http://127.0.0.1:9",
      retries: 1,
      retryBaseMs: 1,
      timeoutMs: 500,
    });
    await expect(backend.instantQuery("up", Date.now())).rejects.toThrow(/cannot reach/);
  });
});
