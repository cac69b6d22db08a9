import { systemClock } from "../../lib/clock";
import { body, logql, mutate, promql, rand, step, time } from "./generators";

/**
 * Sends seeded hostile input to a running harness and checks the three promises of issue #20: no 5xx but
 * Prometheus's own `timeout`, every answer within the query deadline, and `/healthz` under a second
 * throughout. Returns what it saw; the caller (the test, `bun run fuzz`) decides what fails.
 */

export interface FuzzOptions {
  base: string;
  token: string;
  seed: number;
  promql: number;
  logql: number;
  bodies: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The harness's query.timeout: an answer later than this plus 2.5 s (the pool's grace, the trip) is a violation. */
  deadlineMs: number;
  onProgress?: (line: string) => void;
}

export interface Violation {
  kind: "promql" | "logql" | "body" | "healthz";
  input: string;
  status: number;
  detail: string;
  ms: number;
}

export interface FuzzReport {
  sent: number;
  byStatus: Record<string, number>;
  violations: Violation[];
  slowestMs: number;
  healthz: { checks: number; maxMs: number; p99Ms: number };
  elapsedMs: number;
}

type Job = { kind: Violation["kind"]; input: string; request: () => Request };

function jobs(o: FuzzOptions): Job[] {
  const r = rand(o.seed);
  const nowMs = systemClock.now();
  const now = Math.floor(nowMs / 1000);
  const auth = { authorization: `Bearer ${o.token}` };
  const out: Job[] = [];
  for (let i = 0; i < o.promql; i++) {
    let q = promql(r);
    if (r() < 0.2) q = mutate(r, q);
    const range = r() < 0.4;
    const params = new URLSearchParams({ query: q });
    if (range) {
      params.set("start", time(r, now - 3600));
      params.set("end", time(r, now));
      params.set("step", step(r));
    } else if (r() < 0.5) params.set("time", time(r, now));
    const path = range ? "/api/v1/query_range" : "/api/v1/query";
    const post = r() < 0.5;
    out.push({
      kind: "promql",
      input: `${path}?${params}`,
      request: () =>
        post
          ? new Request(`${o.base}${path}`, {
              method: "POST",
              headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
              body: params.toString(),
            })
          : new Request(`${o.base}${path}?${params}`),
    });
  }
  for (let i = 0; i < o.logql; i++) {
    let q = logql(r);
    if (r() < 0.2) q = mutate(r, q);
    const range = r() < 0.6;
    const params = new URLSearchParams({ query: q, limit: String(Math.floor(r() * 6000)) });
    if (range) {
      params.set("start", time(r, now - 3600));
      params.set("end", time(r, now));
      if (r() < 0.5) params.set("step", step(r));
    }
    const path = range ? "/loki/api/v1/query_range" : "/loki/api/v1/query";
    out.push({
      kind: "logql",
      input: `${path}?${params}`,
      request: () => new Request(`${o.base}${path}?${params}`),
    });
  }
  for (let i = 0; i < o.bodies; i++) {
    const b = body(r, nowMs);
    const headers: Record<string, string> = { ...auth, "content-type": b.type };
    if (b.encoding) headers["content-encoding"] = b.encoding;
    const data: BodyInit =
      typeof b.data === "string" ? b.data : new Blob([b.data as Uint8Array<ArrayBuffer>]);
    out.push({
      kind: "body",
      input: `${b.path} ${b.encoding ?? ""} ${typeof b.data === "string" ? b.data.slice(0, 200) : `${b.data.length} bytes`}`,
      request: () => new Request(`${o.base}${b.path}`, { method: "POST", headers, body: data }),
    });
  }
  // Interleaved, so heavy and light input arrive together as they would from many clients.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as Job, out[i] as Job];
  }
  return out;
}

/** 503 `timeout` is Prometheus's own answer to a query past its deadline; anything else at 5xx is a fault. */
function acceptable(status: number, errorType: string | undefined): boolean {
  return status < 500 || (status === 503 && errorType === "timeout");
}

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const report: FuzzReport = {
    sent: 0,
    byStatus: {},
    violations: [],
    slowestMs: 0,
    healthz: { checks: 0, maxMs: 0, p99Ms: 0 },
    elapsedMs: 0,
  };
  const health: number[] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${o.base}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      const ms = performance.now() - t0;
      health.push(ms);
      if (!res || ms > 1_000)
        report.violations.push({
          kind: "healthz",
          input: "/healthz",
          status: res?.status ?? 0,
          detail: "slow or no answer",
          ms,
        });
      await Bun.sleep(100);
    }
  })();
  const queue = jobs(o);
  const total = queue.length;
  const worker = async () => {
    for (let job = queue.pop(); job; job = queue.pop()) {
      const t0 = performance.now();
      let status = 0;
      let detail = "";
      try {
        const res = await fetch(job.request(), { signal: AbortSignal.timeout(o.deadlineMs + 10_000) });
        status = res.status;
        const text = await res.text();
        let errorType: string | undefined;
        try {
          errorType = (JSON.parse(text) as { errorType?: string }).errorType;
        } catch {
          // not JSON (204, a dashboard page)
        }
        if (!acceptable(status, errorType)) detail = text.slice(0, 300);
      } catch (err) {
        detail = `no answer: ${(err as Error).message}`;
      }
      const ms = performance.now() - t0;
      report.sent++;
      report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
      report.slowestMs = Math.max(report.slowestMs, ms);
      // The pool stops a query that cannot stop itself one second past its deadline; allow that and the trip.
      if (detail || ms > o.deadlineMs + 2_500)
        report.violations.push({
          kind: job.kind,
          input: job.input.slice(0, 500),
          status,
          detail: detail || "answered after its deadline",
          ms,
        });
      if (report.sent % 1_000 === 0)
        o.onProgress?.(`${report.sent}/${total} sent, ${report.violations.length} violations`);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  running = false;
  await poller;
  health.sort((a, b) => a - b);
  report.healthz = {
    checks: health.length,
    maxMs: Math.round(health.at(-1) ?? 0),
    p99Ms: Math.round(health[Math.floor(health.length * 0.99)] ?? 0),
  };
  report.elapsedMs = Math.round(performance.now() - started);
  return report;
}
