// `bun run bench:telemetry`: the embedded metric store and PromQL engine against a real Prometheus loaded with
// the same data, in one run. Needs the Debian `prometheus` package (prometheus + promtool); without it only
// the embedded side is measured and the ratios are left out.
//
// Data: 200 counter series `ratelimiter_requests_total{policy, decision, instance}` over 1 h at 15 s, and two
// series (`slo_requests_total`, `slo_errors_total`) over 30 days at 15 s for an SLO ratio query.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "../testing/ports";
import { prometheusBinary } from "../testing/prometheus-server";
import { type AppendSample, MetricStore } from "./metrics/store";
import { promApiRoutes } from "./prom-api";
import { inlineQueries } from "./query-exec";
import { defaultQueryLimits } from "./query-limits";

const unused = (what: string): never => {
  throw new Error(`the benchmark queries no ${what}`);
};

const runs = Number(process.env.BENCH_RUNS ?? 30);
const stepMs = 15_000;
const dataEnd = Math.floor(Date.UTC(2026, 10, 1) / stepMs) * stepMs;
// Queries run 7 s past a sample so that no sample sits on a window's edge: Prometheus 2 (Debian's) closes
// windows at both ends, Prometheus 3 (and the embedded engine) only at the right.
const end = dataEnd + 7_000;
const hourPoints = 3_600_000 / stepMs;
const monthPoints = (30 * 86_400_000) / stepMs;

function* hourSeries(): Generator<AppendSample[]> {
  const decisions = ["allowed", "denied", "shadow_denied", "near_limit"];
  for (let s = 0; s < 200; s++) {
    const labels = {
      __name__: "ratelimiter_requests_total",
      policy: `p${s % 25}`,
      decision: decisions[s % 4] as string,
      instance: `i${Math.floor(s / 100)}`,
    };
    const rate = 1 + (s % 7);
    yield Array.from({ length: hourPoints + 1 }, (_, k) => ({
      labels,
      t: dataEnd - (hourPoints - k) * stepMs,
      v: k * rate * 15,
    }));
  }
}

function* monthSeries(): Generator<AppendSample[]> {
  // Written in day-long chunks so neither side holds a month of samples at once.
  let total = 0;
  let errors = 0;
  const perDay = 86_400_000 / stepMs;
  for (let day = 0; day < 30; day++) {
    const req: AppendSample[] = [];
    const err: AppendSample[] = [];
    for (let k = 0; k < perDay; k++) {
      const t = dataEnd - (monthPoints - (day * perDay + k)) * stepMs;
      total += 1_500;
      errors += (day * perDay + k) % 97 === 0 ? 40 : 1;
      req.push({ labels: { __name__: "slo_requests_total", job: "rl" }, t, v: total });
      err.push({ labels: { __name__: "slo_errors_total", job: "rl" }, t, v: errors });
    }
    yield req;
    yield err;
  }
}

const queries = [
  {
    name: "sum by (decision) rate[5m], 200 series, 1 h range at 15 s",
    expr: "sum by (decision) (rate(ratelimiter_requests_total[5m]))",
    range: 3_600_000,
  },
  {
    name: "30-day SLO ratio, instant",
    expr: "sum(increase(slo_errors_total[30d])) / sum(increase(slo_requests_total[30d]))",
    range: 0,
  },
];

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;

async function timeQueries(call: (expr: string, range: number) => Promise<unknown>) {
  const out: { p50: number; p99: number; result: string }[] = [];
  for (const q of queries) {
    const first = JSON.stringify(await call(q.expr, q.range)); // warm-up, and the answer to compare
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await call(q.expr, q.range);
      times.push(performance.now() - t);
    }
    out.push({ p50: pct(times, 0.5), p99: pct(times, 0.99), result: first });
  }
  return out;
}

const params = (expr: string, range: number) =>
  new URLSearchParams(
    range > 0
      ? { query: expr, start: String((end - range) / 1000), end: String(end / 1000), step: "15" }
      : { query: expr, time: String(end / 1000) },
  ).toString();
const path = (range: number) => (range > 0 ? "/api/v1/query_range" : "/api/v1/query");

async function embedded(dir: string) {
  const store = new MetricStore(join(dir, "metrics.db"));
  let n = 0;
  const t = performance.now();
  for (const batch of hourSeries()) {
    store.append(batch);
    n += batch.length;
  }
  for (const batch of monthSeries()) {
    store.append(batch);
    n += batch.length;
  }
  store.flush();
  const ingestRate = n / ((performance.now() - t) / 1000);
  // Through the harness's own Prometheus API handler (in process, no socket), so JSON encoding counts.
  // On this thread (inlineQueries): the engine's own speed, without the hop to a query worker.
  const api = promApiRoutes(
    store,
    () => end,
    inlineQueries({ metrics: () => store, logs: () => unused("logs") }, defaultQueryLimits),
  );
  const timed = await timeQueries(async (expr, range) => {
    const res = await api.handle(new Request(`http://localhost${path(range)}?${params(expr, range)}`));
    const body = (await res.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== "success") throw new Error(body.error);
    return body.data;
  });
  store.close();
  return { samples: n, ingestRate, timed };
}

async function prometheus(dir: string) {
  if (!prometheusBinary) return null;
  // promtool's OpenMetrics backfill: the documented way to load history into Prometheus.
  const om = join(dir, "data.om");
  const lines: string[] = [
    "# TYPE ratelimiter_requests counter",
    "# TYPE slo_requests counter",
    "# TYPE slo_errors counter",
  ];
  const fmtLabels = (l: Record<string, string>) =>
    `{${Object.entries(l)
      .filter(([k]) => k !== "__name__")
      .map(([k, v]) => `${k}="${v}"`)
      .join(",")}}`;
  for (const gen of [hourSeries(), monthSeries()])
    for (const batch of gen)
      for (const s of batch) lines.push(`${s.labels.__name__}${fmtLabels(s.labels)} ${s.v} ${s.t / 1000}`);
  // OpenMetrics wants each metric family contiguous and in time order per series: sort by name, then series.
  const header = lines.splice(0, 3);
  lines.sort((a, b) => {
    const [na, ta] = [
      a.slice(0, a.lastIndexOf(" ", a.lastIndexOf(" ") - 1)),
      Number(a.slice(a.lastIndexOf(" ") + 1)),
    ];
    const [nb, tb] = [
      b.slice(0, b.lastIndexOf(" ", b.lastIndexOf(" ") - 1)),
      Number(b.slice(b.lastIndexOf(" ") + 1)),
    ];
    return na < nb ? -1 : na > nb ? 1 : ta - tb;
  });
  writeFileSync(om, `${[...header, ...lines].join("\n")}\n# EOF\n`);
  const data = join(dir, "prom-data");
  const t = performance.now();
  const backfill = Bun.spawnSync([
    "promtool",
    "tsdb",
    "create-blocks-from",
    "openmetrics",
    "--max-block-duration=720h",
    om,
    data,
  ]);
  if (backfill.exitCode !== 0)
    throw new Error(`promtool backfill failed: ${backfill.stderr.toString().slice(0, 500)}`);
  const backfillMs = performance.now() - t;
  const port = await freePort();
  writeFileSync(join(dir, "prometheus.yml"), "global: { scrape_interval: 1h }\n");
  const proc = Bun.spawn(
    [
      prometheusBinary,
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${data}`,
      "--storage.tsdb.retention.time=3650d",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor("prometheus ready", async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 200);
    const timed = await timeQueries(async (expr, range) => {
      const res = await fetch(`${url}${path(range)}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: params(expr, range),
      });
      const body = (await res.json()) as { status: string; data: unknown; error?: string };
      if (body.status !== "success") throw new Error(body.error);
      return body.data;
    });
    return { backfillMs, timed };
  } finally {
    proc.kill();
    await proc.exited;
  }
}

/** Same series and values to 9 significant digits (the two print floats differently). */
function sameAnswer(a: string, b: string): boolean {
  type Data = {
    resultType: string;
    result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
  };
  const norm = (s: string) => {
    const d = JSON.parse(s) as Data;
    return d.result
      .map(
        (r) =>
          `${JSON.stringify(Object.entries(r.metric).sort())} ${(r.values ?? (r.value ? [r.value] : [])).map(([t, v]) => `${t}:${Number(v).toPrecision(9)}`).join(",")}`,
      )
      .sort()
      .join("\n");
  };
  const [x, y] = [norm(a), norm(b)];
  if (x !== y && process.env.BENCH_DEBUG)
    console.error(`embedded:\n${x.slice(0, 800)}\nprometheus:\n${y.slice(0, 800)}`);
  return x === y;
}

const dir = mkdtempSync(join(tmpdir(), "bench-telemetry-"));
try {
  console.error("loading the embedded store…");
  const ours = await embedded(dir);
  console.error(
    prometheusBinary
      ? "backfilling Prometheus with promtool…"
      : "prometheus not installed: embedded side only",
  );
  const theirs = await prometheus(dir);
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}, ${runs} runs per query\n`,
  );
  console.log("| measurement | embedded | Prometheus 2 (same data, same run) | ratio |\n|---|---|---|---|");
  console.log(
    `| ingest | ${fmt(ours.ingestRate)} samples/s (${fmt(ours.samples)} samples) | promtool backfill ${theirs ? `${fmt(ours.samples / (theirs.backfillMs / 1000))} samples/s` : "n/a"} | — |`,
  );
  queries.forEach((q, i) => {
    const a = ours.timed[i];
    const b = theirs?.timed[i];
    if (!a) return;
    const same = b ? (sameAnswer(a.result, b.result) ? "" : " (answers differ!)") : "";
    console.log(
      `| ${q.name} | p50 ${a.p50.toFixed(2)} ms, p99 ${a.p99.toFixed(2)} ms | ${b ? `p50 ${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms` : "n/a"} | ${b ? `${(a.p50 / b.p50).toFixed(2)}× at p50${same}` : "—"} |`,
    );
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
