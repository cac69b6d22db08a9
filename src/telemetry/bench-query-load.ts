/**
 * `bun run bench:query-load`: what heavy queries cost everyone else. A fresh `harness up` (monitor every 1 s,
 * query.timeout 5 s) is measured idle, then while 4 clients send heavy PromQL and LogQL queries back to back,
 * in one run: /healthz latency (p50, p99, max) and the monitor cycle's lateness (the gap between cycle starts
 * minus the interval). Ratios load/idle near 1 mean queries hold nobody up. Results go to docs/benchmarks.md.
 */
import { systemClock } from "../lib/clock";
import { startHarness } from "../testing/harness-process";
import { seedFuzzData } from "./fuzz/seed";

const phaseMs = Number(process.env.BENCH_PHASE_MS ?? 20_000);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(s.length * p))] as number) : Number.NaN;
};

async function measure(base: string, ms: number) {
  const health: number[] = [];
  const ticks: number[] = [];
  const end = performance.now() + ms;
  const healthLoop = (async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await fetch(`${base}/healthz`)
        .then((r) => r.arrayBuffer())
        .catch(() => null);
      health.push(performance.now() - t0);
      await Bun.sleep(50);
    }
  })();
  const tickLoop = (async () => {
    while (performance.now() < end) {
      const s = (await fetch(`${base}/api/v1/status`)
        .then((r) => r.json())
        .catch(() => null)) as {
        data?: { monitor?: { last_tick_at: number | null } };
      } | null;
      const at = s?.data?.monitor?.last_tick_at;
      if (typeof at === "number" && at !== ticks.at(-1)) ticks.push(at);
      await Bun.sleep(100);
    }
  })();
  await Promise.all([healthLoop, tickLoop]);
  const lateness = ticks.slice(1).map((t, i) => Math.max(0, t - (ticks[i] as number) - 1_000));
  return {
    healthz: { p50: pct(health, 0.5), p99: pct(health, 0.99), max: Math.max(...health), n: health.length },
    monitor: { p99: pct(lateness, 0.99), max: Math.max(0, ...lateness), cycles: ticks.length },
  };
}

const nowS = Math.floor(systemClock.now() / 1000);
const heavy = [
  `/api/v1/query?query=${encodeURIComponent("count_over_time((fuzz_gauge * 2)[12h:1ms])")}`,
  "/api/v1/query_range?query=" +
    encodeURIComponent('sum by (job) (rate(fuzz_requests_total{code=~"2.."}[5m]))') +
    `&start=${nowS - 3600}&end=${nowS}&step=1`,
  "/loki/api/v1/query_range?query=" +
    encodeURIComponent('sum by (level) (count_over_time({service="rate-limiter"} |= "denied" [5m]))') +
    `&start=${nowS - 3600}&end=${nowS}&step=1`,
  `/api/v1/query?query=${encodeURIComponent("quantile_over_time(0.99, (fuzz_gauge + 1)[6h:1ms])")}`,
];

const h = await startHarness(["query: { timeout: 5s }"]);
try {
  await seedFuzzData(h.base, h.token);
  console.error(`idle for ${phaseMs / 1000} s…`);
  const idle = await measure(h.base, phaseMs);
  console.error(`4 clients sending heavy queries for ${phaseMs / 1000} s…`);
  let running = true;
  let sent = 0;
  const clients = Array.from({ length: 4 }, async (_, i) => {
    for (let k = i; running; k++) {
      await fetch(`${h.base}${heavy[k % heavy.length]}`)
        .then((r) => r.arrayBuffer())
        .catch(() => null);
      sent++;
    }
  });
  const loaded = await measure(h.base, phaseMs);
  running = false;
  await Promise.all(clients);
  const ratio = (a: number, b: number) => Number((a / Math.max(b, 0.001)).toFixed(2));
  console.log(
    JSON.stringify(
      {
        idle,
        loaded,
        heavy_queries_answered: sent,
        ratios: {
          healthz_p99: ratio(loaded.healthz.p99, idle.healthz.p99),
          monitor_lateness_p99_ms: { idle: idle.monitor.p99, loaded: loaded.monitor.p99 },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await h.stop();
}
