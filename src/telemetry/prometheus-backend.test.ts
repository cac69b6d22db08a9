import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../testing/ports";
import { prometheusBinary, startPrometheus } from "../testing/prometheus-server";
import { createPrometheusBackend } from "./prometheus-backend";

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
