import type { Clock } from "../lib/clock";
import { type ProbeStats, p99 } from "./canary";

/**
 * Probes the service's port while the canary shares it (reusePort): each probe opens a new connection, so
 * the kernel spreads them over every process listening there, and the answer's `X-Instance` header says
 * who served it. Real clients are spread the same way: the canary takes its share of real traffic too.
 */
export async function probeShared(
  clock: Clock,
  port: number,
  ms: number,
  canaryName: string,
): Promise<{ old: ProbeStats; fresh: ProbeStats }> {
  const old = { latencies: [] as number[], errors: 0 };
  const fresh = { latencies: [] as number[], errors: 0 };
  const end = clock.now() + ms;
  let i = 0;
  const worker = async () => {
    while (clock.now() < end) {
      // Latency is measured on the monotonic clock: a probe's duration, not a point in time.
      const started = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/check`, {
          method: "POST",
          headers: { connection: "close" },
          body: JSON.stringify({ key: `canary-probe-${i++ % 50}`, hits: 0 }),
          signal: AbortSignal.timeout(2000),
        });
        await res.arrayBuffer();
        const side = res.headers.get("x-instance") === canaryName ? fresh : old;
        side.latencies.push(performance.now() - started);
        if (res.status >= 500) side.errors++;
      } catch {
        // Nobody answered, so nobody can be credited: count it against the new version, the one on trial.
        fresh.errors++;
        fresh.latencies.push(performance.now() - started);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const stats = (s: typeof old): ProbeStats => ({
    requests: s.latencies.length,
    errors: s.errors,
    p99Ms: p99(s.latencies),
  });
  return { old: stats(old), fresh: stats(fresh) };
}
