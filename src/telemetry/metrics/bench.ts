// Ingest and query throughput of MetricStore on a temporary file.
// Run: bun src/telemetry/metrics/bench.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppendSample, MetricStore } from "./store";

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "metrics-bench-"));
  const store = new MetricStore(join(dir, "metrics.db"));
  try {
    const seriesCount = 200;
    const stepMs = 15_000;
    const rounds = 2400; // 10 h of 15 s scrapes: 480k samples
    const t0 = Date.UTC(2026, 0, 1);
    // Fresh label objects per scrape, as the scraper produces them, so fingerprinting is measured too.
    const labelsFor = (i: number) => ({
      __name__: `bench_metric_${i % 20}`,
      job: "bench",
      instance: `host-${Math.floor(i / 20)}:9100`,
      code: String(200 + (i % 5)),
      path: `/api/v${i % 3}/items`,
    });
    let total = 0;
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      const batch: AppendSample[] = new Array(seriesCount);
      for (let i = 0; i < seriesCount; i++) batch[i] = { labels: labelsFor(i), t: t0 + r * stepMs, v: r + i };
      store.append(batch);
      total += seriesCount;
    }
    const ingestMs = performance.now() - started;
    console.log(
      `ingest: ${total} samples in ${ingestMs.toFixed(0)} ms = ${Math.round(total / (ingestMs / 1000))} samples/s (batches of ${seriesCount})`,
    );

    const big: AppendSample[] = [];
    for (let r = 0; r < 500; r++) {
      for (let i = 0; i < seriesCount; i++)
        big.push({ labels: labelsFor(i), t: t0 + (rounds + r) * stepMs, v: r });
    }
    const bigStart = performance.now();
    store.append(big);
    const bigMs = performance.now() - bigStart;
    console.log(
      `ingest: ${big.length} samples in one batch in ${bigMs.toFixed(0)} ms = ${Math.round(big.length / (bigMs / 1000))} samples/s`,
    );

    const end = t0 + (rounds + 499) * stepMs;
    const queries: [string, Parameters<MetricStore["select"]>[0]][] = [
      ["all 200 series (job=)", [{ name: "job", op: "=", value: "bench" }]],
      ["regex on name (=~)", [{ name: "__name__", op: "=~", value: "bench_metric_.*" }]],
      [
        "10 series (name=, path!=)",
        [
          { name: "__name__", op: "=", value: "bench_metric_3" },
          { name: "path", op: "!=", value: "x" },
        ],
      ],
    ];
    for (const [label, matchers] of queries) {
      const runs = 20;
      let series = 0;
      let samples = 0;
      const qStart = performance.now();
      for (let k = 0; k < runs; k++) {
        const res = store.select(matchers, end - 3_600_000, end);
        series = res.length;
        samples = res.reduce((n, s) => n + s.samples.length, 0);
      }
      const perQuery = (performance.now() - qStart) / runs;
      console.log(`select 1 h, ${label}: ${series} series / ${samples} samples in ${perQuery.toFixed(2)} ms`);
    }
    const stats = store.stats();
    console.log(
      `stats: ${stats.series} series, ${stats.samples} samples, ${(stats.dbBytes / 1024 / 1024).toFixed(1)} MiB (${(stats.dbBytes / stats.samples).toFixed(1)} B/sample)`,
    );
    const rStart = performance.now();
    const r = store.enforceRetention(end, { maxAgeMs: 5 * 3_600_000 });
    console.log(
      `retention by age: ${r.samplesDeleted} samples deleted in ${(performance.now() - rStart).toFixed(0)} ms`,
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) main();
