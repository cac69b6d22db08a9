// `bun run bench:rules`: one evaluation cycle of 100 rules over the embedded store, reported per rule kind and
// per rule, against a baseline measured in the same run (one instant query of one series).
//
// Data: 3 days of 15 s scrapes of a rate limiter with 2 instances, 5 policies and 3 decisions (30 counter
// series), latency histogram buckets (2 × 12 series), up and memory gauges. Rules: 50 invariants,
// 25 SLOs (each 8 burn-rate windows), 25 anomaly detectors (z-score, MAD and seasonal).
import { cpus } from "node:os";
import type { Core } from "../core";
import type { FakeClock } from "../lib/clock";
import { type AppendSample, MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import type { MetricsBackend } from "../telemetry/types";
import { testCore } from "../testing/core";
import { evaluateAnomaly } from "./anomalies";
import { evaluateInvariant } from "./invariants";
import { evaluateSloRule } from "./slos";

const stepMs = 15_000;
const days = Number(process.env.BENCH_DAYS ?? 3);
const end = Date.UTC(2026, 10, 2);
const start = end - days * 86_400_000;

function load(store: MetricStore): number {
  const policies = ["default", "api", "login", "search", "upload"];
  const decisions = ["allowed", "denied", "shadow_denied"];
  const les = [
    "0.0001",
    "0.00025",
    "0.0005",
    "0.001",
    "0.0025",
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "+Inf",
  ];
  let n = 0;
  const counters = new Map<string, number>();
  const bump = (k: string, by: number) => {
    const v = (counters.get(k) ?? 0) + by;
    counters.set(k, v);
    return v;
  };
  for (let t = start; t <= end; t += stepMs) {
    const batch: AppendSample[] = [];
    const day = Math.sin(((t % 86_400_000) / 86_400_000) * 2 * Math.PI);
    for (const instance of ["i0", "i1"]) {
      const base = { job: "rate-limiter", instance };
      batch.push({ labels: { __name__: "up", ...base }, t, v: 1 });
      batch.push({
        labels: { __name__: "ratelimiter_process_resident_memory_bytes", ...base },
        t,
        v: 8e7 + 1e6 * day,
      });
      for (const [p, policy] of policies.entries())
        for (const [d, decision] of decisions.entries()) {
          const rate = (100 + 50 * day) * (d === 0 ? 1 : 0.02) * (p + 1);
          batch.push({
            labels: { __name__: "ratelimiter_requests_total", ...base, policy, decision },
            t,
            v: bump(`${instance}/${policy}/${decision}`, rate * 15),
          });
        }
      for (const [i, le] of les.entries())
        batch.push({
          labels: { __name__: "ratelimiter_http_request_duration_seconds_bucket", ...base, le },
          t,
          v: bump(`${instance}/le${le}`, 1500 * Math.min(1, (i + 1) / 9)),
        });
    }
    store.append(batch);
    n += batch.length;
  }
  store.flush();
  return n;
}

function defineRules(core: Core): void {
  const policies = ["default", "api", "login", "search", "upload"];
  for (let i = 0; i < 50; i++) {
    const p = policies[i % 5];
    const kinds = [
      `up{job="rate-limiter"} == 0`,
      `sum by (instance) (rate(ratelimiter_requests_total{policy="${p}",decision="denied"}[5m])) / sum by (instance) (rate(ratelimiter_requests_total{policy="${p}"}[5m])) > 0.${5 + (i % 4)}`,
      `histogram_quantile(0.99, sum by (le, instance) (rate(ratelimiter_http_request_duration_seconds_bucket[5m]))) > 0.${1 + (i % 5)}`,
      `ratelimiter_process_resident_memory_bytes > ${512 + i} * 1024 * 1024`,
      `increase(ratelimiter_requests_total{decision="shadow_denied",policy="${p}"}[10m]) > 1e9`,
    ];
    core.rules.createInvariant({ name: `inv-${i}`, query: kinds[i % kinds.length] as string, for: "2m" });
  }
  for (let i = 0; i < 25; i++) {
    const p = policies[i % 5];
    core.rules.createSlo({
      name: `slo-${i}`,
      objective: [99, 99.5, 99.9][i % 3] as number,
      sli: {
        bad: `ratelimiter_requests_total{policy="${p}",decision="denied"}`,
        total: `ratelimiter_requests_total{policy="${p}"}`,
      },
    });
  }
  for (let i = 0; i < 25; i++) {
    const p = policies[i % 5];
    core.anomalies.create({
      name: `anomaly-${i}`,
      query: `sum(rate(ratelimiter_requests_total{policy="${p}"}[5m]))`,
      method: (["zscore", "mad", "seasonal"] as const)[i % 3],
      window: "1h",
      min_history: "30m",
    });
  }
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;

const store = new MetricStore(":memory:");
console.error(`loading ${days} days of samples…`);
const samples = load(store);
const { core } = testCore(end);
const clock = core.clock as FakeClock;
defineRules(core);
const metrics: MetricsBackend = {
  kind: "embedded",
  instantQuery: async (e, t) => instantQuery(store, e, t),
  rangeQuery: async (e, s, en, st) => rangeQuery(store, e, s, en, st),
};
const states = core.ruleStates;
const noError = () => {};

// Baseline: one instant query of one series, as cheap as any rule can be.
const baseRuns: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  await metrics.instantQuery('up{job="rate-limiter",instance="i0"}', end);
  baseRuns.push(performance.now() - t);
}
const baseline = pct(baseRuns, 0.5);

const perKind: Record<string, number[]> = { invariant: [], slo: [], anomaly: [] };
const cycles = Number(process.env.BENCH_CYCLES ?? 3);
const cycleMs: number[] = [];
for (let c = 0; c < cycles; c++) {
  // A minute apart: anomaly detectors evaluate at most once a minute.
  const now = end - (cycles - 1 - c) * 60_000;
  clock.set(now);
  const cycleStart = performance.now();
  for (const inv of core.rules.listInvariants()) {
    const t = performance.now();
    await evaluateInvariant(core, metrics, states, inv, now, noError);
    perKind.invariant?.push(performance.now() - t);
  }
  for (const slo of core.rules.listSlos()) {
    const t = performance.now();
    await evaluateSloRule(core, metrics, states, slo, now, noError);
    perKind.slo?.push(performance.now() - t);
  }
  for (const a of core.anomalies.list()) {
    const t = performance.now();
    await evaluateAnomaly(core, metrics, states, a, now, 15_000, noError);
    perKind.anomaly?.push(performance.now() - t);
  }
  cycleMs.push(performance.now() - cycleStart);
}
const errors = states.all().filter((s) => s.last_error);
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}; ${samples.toLocaleString("en-US")} samples over ${days} days; ${cycles} cycles of 100 rules\n`,
);
console.log("| rules | per rule p50 | per rule p99 | × baseline (p50) |\n|---|---|---|---|");
for (const [kind, xs] of Object.entries(perKind))
  console.log(
    `| ${xs.length / cycles} ${kind} | ${pct(xs, 0.5).toFixed(2)} ms | ${pct(xs, 0.99).toFixed(2)} ms | ${(pct(xs, 0.5) / baseline).toFixed(1)} |`,
  );
console.log(
  `| one cycle, all 100 | ${pct(cycleMs, 0.5).toFixed(0)} ms (median of ${cycles}) | | ${(pct(cycleMs, 0.5) / baseline).toFixed(0)} |`,
);
console.log(`\nbaseline: instant query of one series, p50 ${baseline.toFixed(3)} ms`);
if (errors.length)
  console.log(`rules with errors: ${errors.map((e) => `${e.rule_key}: ${e.last_error}`).join("; ")}`);
