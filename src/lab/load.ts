import { p99 } from "../deploy/canary";
import { systemClock } from "../lib/clock";
import { rateAt, requestPlanner, type TrafficShape } from "./traffic";

export interface LoadReport {
  sent: number;
  allowed: number;
  denied: number;
  errors: number;
  abusive_denied: number;
  p50_ms: number;
  p99_ms: number;
  duration_ms: number;
  seed: number;
}

/**
 * Drives the traffic model against a rate limiter's /v1/check for the shape's duration, with bounded
 * concurrency; `onProgress` gets a line about once a second. Returns what was sent and what came back.
 */
export async function runLoad(
  url: string,
  shape: TrafficShape,
  seed: number,
  onProgress: (line: string) => void = () => {},
  maxInFlight = 64,
): Promise<LoadReport> {
  const plan = requestPlanner(shape, seed);
  const latencies: number[] = [];
  const r = { sent: 0, allowed: 0, denied: 0, errors: 0, abusive_denied: 0 };
  const started = systemClock.now();
  let inFlight = 0;
  let owed = 0;
  let lastTick = started;
  let lastProgress = started;
  const endpoint = `${url.replace(/\/+$/, "")}/v1/check`;
  const one = async () => {
    const req = plan();
    inFlight++;
    r.sent++;
    const t0 = performance.now();
    try {
      const res = await fetch(endpoint, {
        method: "POST",
        ...(req.requestId ? { headers: { "x-request-id": req.requestId } } : {}),
        body: JSON.stringify({ key: req.key, hits: req.hits }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { allowed?: boolean };
      if (res.status >= 500 || typeof body.allowed !== "boolean") r.errors++;
      else if (body.allowed) r.allowed++;
      else {
        r.denied++;
        if (req.abusive) r.abusive_denied++;
      }
    } catch {
      r.errors++;
    } finally {
      inFlight--;
      latencies.push(performance.now() - t0);
    }
  };
  const pending = new Set<Promise<void>>();
  while (systemClock.now() - started < shape.durationMs) {
    const now = systemClock.now();
    owed += (rateAt(shape, now - started) * (now - lastTick)) / 1000;
    lastTick = now;
    while (owed >= 1 && inFlight < maxInFlight) {
      owed -= 1;
      const p = one();
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    if (now - lastProgress >= 1000) {
      lastProgress = now;
      onProgress(
        `${Math.round((now - started) / 1000)}s sent ${r.sent} allowed ${r.allowed} denied ${r.denied} errors ${r.errors} (target ${Math.round(rateAt(shape, now - started))}/s)`,
      );
    }
    await Bun.sleep(5);
  }
  await Promise.all(pending);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    ...r,
    p50_ms: Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 100) / 100,
    p99_ms: Math.round(p99(latencies) * 100) / 100,
    duration_ms: systemClock.now() - started,
    seed,
  };
}
