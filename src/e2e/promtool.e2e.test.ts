import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { createApi } from "../api/server";
import { apiFixture } from "../telemetry/api-fixture";
import { TEST_TOKEN, testCore } from "../testing/core";

// promtool (Debian's, Prometheus 2.42) as a real client of the harness's Prometheus API over a real socket: it
// POSTs its instant and range queries as form bodies and GETs label values and series.
const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => existsSync(p)) ?? null;
const absent = "promtool is not installed (apt-get install prometheus): skipped";
if (!promtool) console.warn(absent);

const now = Math.floor(Date.now() / 1000) * 1000;
const fixture = apiFixture(now);
const seen: string[] = [];
let server: ReturnType<typeof Bun.serve>;
let url = "";

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const u = new URL(req.url);
      seen.push(`${req.method} ${u.pathname} ${req.headers.get("content-type") ?? ""}`);
      return fixture.handle(req);
    },
  });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(() => {
  server?.stop(true);
  fixture.close();
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([promtool as string, "query", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out, err };
}

const seconds = (ms: number) => String(ms / 1000);

describe.skipIf(!promtool)("promtool against the harness's Prometheus API", () => {
  test("query instant: up for both instances, sent as a POST form", async () => {
    const r = await run("instant", url, "up");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n").sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^up\{instance="a", job="svc"\} => 1 @\[\d+(\.\d+)?\]$/);
    expect(lines[1]).toMatch(/^up\{instance="b", job="svc"\} => 1 @\[\d+(\.\d+)?\]$/);
    expect(seen).toContain("POST /api/v1/query application/x-www-form-urlencoded");
  });

  test("query range: rate over a counter, step by step", async () => {
    const r = await run(
      "range",
      "-o",
      "json",
      `--start=${seconds(now - 600_000)}`,
      `--end=${seconds(now)}`,
      "--step=60s",
      url,
      "rate(http_requests_total[5m])",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const series = JSON.parse(r.out) as { metric: Record<string, string>; values: [number, string][] }[];
    const byCode = new Map(series.map((s) => [s.metric.code, s.values]));
    expect([...byCode.keys()].sort()).toEqual(["200", "500"]);
    for (const [code, perSecond] of [
      ["200", 2],
      ["500", 0.2],
    ] as const) {
      const values = byCode.get(code) ?? [];
      expect(values).toHaveLength(11);
      expect(values[0]?.[0]).toBe((now - 600_000) / 1000);
      for (const [, v] of values) expect(Number(v)).toBeCloseTo(perSecond, 9);
    }
    expect(seen).toContain("POST /api/v1/query_range application/x-www-form-urlencoded");
  });

  test("query labels: the metric names", async () => {
    const r = await run("labels", url, "__name__");
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n")).toEqual(["http_requests_total", "up"]);
  });

  test("query labels --match: values of one label among the selected series", async () => {
    const r = await run("labels", "--match", 'http_requests_total{code="500"}', url, "code");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe("500");
  });

  test("query series --match: label sets, with repeated match[]", async () => {
    const one = await run("series", "--match", "up", url);
    expect(one.code).toBe(0);
    expect(one.out.trim().split("\n").sort()).toEqual([
      '{__name__="up", instance="a", job="svc"}',
      '{__name__="up", instance="b", job="svc"}',
    ]);
    const two = await run(
      "series",
      "--match",
      'up{instance="a"}',
      "--match",
      'http_requests_total{code="200"}',
      url,
    );
    expect(two.code).toBe(0);
    expect(two.out.trim().split("\n").sort()).toEqual([
      '{__name__="http_requests_total", code="200", job="svc"}',
      '{__name__="up", instance="a", job="svc"}',
    ]);
    // promtool 2.42 GETs series (the form-body path is covered by grafana-requests.test.ts).
    expect(seen).toContain("GET /api/v1/series ");
  });

  test("a bad query is promtool's error, from a 400 bad_data", async () => {
    const r = await run("instant", url, "rate(up[5m]");
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("bad_data");
  });
});

describe.skipIf(!promtool)("promtool through the full API server (auth hook included), no token", () => {
  test("instant and range queries sent as POST forms are open reads", async () => {
    const { core } = testCore(now);
    const api = createApi({
      core,
      token: TEST_TOKEN,
      health: () => ({ ok: true, roles: {} }),
      plugins: [fixture.telemetry.routes],
    });
    const full = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => api.handle(req) });
    try {
      const base = `http://127.0.0.1:${full.port}`;
      const instant = await run("instant", base, "sum(up)");
      expect(instant.err).toBe("");
      expect(instant.out).toMatch(/^\{\} => 2 @\[/);
      const range = await run(
        "range",
        `--start=${seconds(now - 120_000)}`,
        `--end=${seconds(now)}`,
        "--step=60s",
        base,
        "sum(up)",
      );
      expect(range.code).toBe(0);
      expect(range.out).toContain("2 @[");
      const series = await run("series", "--match", 'up{instance="b"}', base);
      expect(series.out.trim()).toBe('{__name__="up", instance="b", job="svc"}');
    } finally {
      full.stop(true);
    }
  });
});
