import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleLokiRequest, inlineLogQueries } from "../telemetry/logs/loki-api";
import { LogStore } from "../telemetry/logs/store";
import { createPrometheusBackend } from "../telemetry/prometheus-backend";
import { startHarness } from "../testing/harness-process";
import { waitFor } from "../testing/ports";
import { prometheusBinary, startPrometheus } from "../testing/prometheus-server";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.skipIf(!prometheusBinary)("harness up with remote telemetry configured", () => {
  test("queries and ships to a real Prometheus and a Loki-API server, with the secret from the environment", async () => {
    const prom = await startPrometheus([]);
    cleanups.push(() => prom.stop());
    // A server speaking Loki's HTTP API (the harness's own implementation) that insists on basic auth.
    const logs = new LogStore(join(mkdtempSync(join(tmpdir(), "harness-loki-")), "logs.db"));
    cleanups.push(() => logs.close());
    const secret = `loki-secret-${Math.random().toString(36).slice(2)}`;
    const expected = `Basic ${Buffer.from(`4242:${secret}`).toString("base64")}`;
    let unauthorised = 0;
    const loki = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        if (req.headers.get("authorization") !== expected) {
          unauthorised++;
          return new Response("unauthorized", { status: 401 });
        }
        return (
          (await handleLokiRequest(req, logs, Date.now(), undefined, inlineLogQueries(logs))) ??
          new Response("no", { status: 404 })
        );
      },
    });
    cleanups.push(() => loki.stop(true));
    const lokiUrl = `http://127.0.0.1:${loki.port}`;
    process.env.HARNESS_TEST_LOKI_TOKEN = secret;
    const harness = await startHarness([
      "telemetry:",
      `  metrics: { url: "${prom.url}", remote_write_url: "${prom.url}/api/v1/write" }`,
      `  logs: { url: "${lokiUrl}", push_url: "${lokiUrl}", username: "4242", password_env: HARNESS_TEST_LOKI_TOKEN }`,
    ]);
    cleanups.push(() => harness.proc.kill("SIGKILL"));

    // Scraped samples reach the real Prometheus by remote write: the rate limiter's and the harness's own.
    const remote = createPrometheusBackend({ url: prom.url, retries: 0 });
    await waitFor(
      "samples in Prometheus",
      async () => {
        const r = await remote.instantQuery('up{job=~"rate-limiter|harness"} == 1', Date.now());
        return r.resultType === "vector" && r.result.length >= 2;
      },
      30_000,
      250,
    );
    // The service's log lines reach Loki with their stream labels.
    await waitFor(
      "lines in Loki",
      async () => {
        const q = encodeURIComponent('{service="rate-limiter"} |= "listening"');
        const res = await fetch(`${lokiUrl}/loki/api/v1/query_range?query=${q}`, {
          headers: { authorization: expected },
        });
        const body = (await res.json()) as { data: { result: unknown[] } };
        return body.data.result.length > 0;
      },
      30_000,
      250,
    );
    // The harness queries the remotes: the dashboard says so, and the shipping counters move.
    const overview = await (
      await fetch(`${harness.base}/`, { headers: { authorization: `Bearer ${harness.token}` } })
    ).text();
    expect(overview).toContain(`prometheus ${new URL(prom.url).host}`);
    expect(overview).toContain(`loki 127.0.0.1:${loki.port}`);
    const metrics = await (await fetch(`${harness.base}/metrics`)).text();
    expect(metrics).toMatch(/harness_ship_items_total\{shipper="remote_write",result="sent"\} [1-9]/);
    expect(metrics).toMatch(/harness_ship_items_total\{shipper="loki_push",result="sent"\} [1-9]/);
    expect(unauthorised).toBe(0);
    expect(await harness.stop()).toBe(0);
    // The secret went nowhere it should not: not into the harness's own output.
    const out = await Bun.file(join(harness.dir, "harness.out")).text();
    const err = await Bun.file(join(harness.dir, "harness.err")).text();
    expect(out + err).not.toContain(secret);
  }, 90_000);
});
