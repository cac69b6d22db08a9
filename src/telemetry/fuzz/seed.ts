import { systemClock } from "../../lib/clock";

/** Data for the fuzzer's queries to find: counters, a histogram, a gauge over the last hour, and log lines. */
export async function seedFuzzData(base: string, token: string): Promise<void> {
  const now = systemClock.now();
  const lines: string[] = [];
  for (let m = 60; m >= 0; m--) {
    const t = now - m * 60_000;
    for (const code of ["200", "500"])
      for (const job of ["api", "fuzz"])
        lines.push(
          `fuzz_requests_total{job="${job}",code="${code}"} ${(60 - m) * (code === "200" ? 100 : 3)} ${t}`,
        );
    for (const le of ["0.1", "0.5", "1", "+Inf"])
      lines.push(
        `fuzz_latency_seconds_bucket{job="api",le="${le}"} ${(60 - m) * (le === "0.1" ? 50 : 100)} ${t}`,
      );
    lines.push(`fuzz_gauge{zone="a"} ${Math.sin(m)} ${t}`);
  }
  const auth = { authorization: `Bearer ${token}` };
  const imported = await fetch(`${base}/api/v1/import/prometheus`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/plain" },
    body: `${lines.join("\n")}\n`,
  });
  if (!imported.ok) throw new Error(`seeding metrics failed: ${imported.status} ${await imported.text()}`);
  const values = Array.from({ length: 500 }, (_, i) => [
    String((now - i * 1000) * 1_000_000),
    JSON.stringify({
      level: i % 7 === 0 ? "error" : "info",
      msg: i % 3 === 0 ? "denied" : "allowed",
      bytes: i,
    }),
  ]);
  const pushed = await fetch(`${base}/loki/api/v1/push`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ streams: [{ stream: { service: "rate-limiter", level: "info" }, values }] }),
  });
  if (!pushed.ok) throw new Error(`seeding logs failed: ${pushed.status} ${await pushed.text()}`);
}
