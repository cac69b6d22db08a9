import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../lib/clock";
import { createTelemetry, type TelemetryDeps } from "./embedded";
import type { AppendSample } from "./metrics/store";

/**
 * For tests of the query APIs: the real embedded telemetry (stores in a temp dir, query workers) holding an
 * hour of samples up to `now` every 15 s — `up{job="svc",instance="a"|"b"}` = 1 and a counter
 * `http_requests_total{job="svc",code="200"|"500"}` rising by 30 and 3 per step (2/s and 0.2/s) — and a few log
 * lines in two streams.
 */
export function apiFixture(now: number, rules?: TelemetryDeps["rules"]) {
  const dataDir = mkdtempSync(join(tmpdir(), "harness-api-"));
  const t = createTelemetry({
    dataDir,
    clock: new FakeClock(now),
    log: () => {},
    ...(rules ? { rules } : {}),
  });
  const batch: AppendSample[] = [];
  for (let i = 0; i <= 240; i++) {
    const at = now - (240 - i) * 15_000;
    for (const instance of ["a", "b"])
      batch.push({ labels: { __name__: "up", job: "svc", instance }, t: at, v: 1 });
    batch.push({ labels: { __name__: "http_requests_total", job: "svc", code: "200" }, t: at, v: i * 30 });
    batch.push({ labels: { __name__: "http_requests_total", job: "svc", code: "500" }, t: at, v: i * 3 });
  }
  t.store.append(batch);
  t.logs.append([
    { labels: { app: "api", level: "info" }, t: now - 3_000, line: "GET /a 200" },
    { labels: { app: "api", level: "error" }, t: now - 2_000, line: "GET /b 500 — échec" },
    { labels: { app: "web", level: "info" }, t: now - 1_000, line: "ok" },
  ]);
  return {
    telemetry: t,
    /** Answers one request in process, no socket. */
    handle: (req: Request) => t.routes.handle(req),
    close() {
      t.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
