import { afterAll, describe, expect, test } from "bun:test";
import { apiFixture } from "./api-fixture";

// The requests Grafana's Prometheus and Loki data sources send (Save & test, Explore, the query editor's label
// browser and autocomplete, the alert list), as documented for each API, answered in process.
const now = Date.UTC(2026, 5, 1, 12, 0, 0);
const s = (ms: number) => String(ms / 1000);
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const fixture = apiFixture(now);
afterAll(() => fixture.close());

type Body = { status?: string; data?: unknown; errorType?: string; error?: string };

async function call(method: "GET" | "POST", path: string, params: [string, string][] = [], query = "") {
  const form = new URLSearchParams(params).toString();
  const url = `http://localhost${path}${method === "GET" ? `?${form}` : query}`;
  const init: RequestInit =
    method === "POST"
      ? { method, body: form, headers: { "content-type": "application/x-www-form-urlencoded" } }
      : { method };
  const res = await fixture.handle(new Request(url, init));
  return { status: res.status, body: (await res.json()) as Body };
}
const data = async (...args: Parameters<typeof call>) => {
  const r = await call(...args);
  expect(r.status).toBe(200);
  expect(r.body.status).toBe("success");
  return r.body.data;
};
const hour: [string, string][] = [
  ["start", s(now - 3_600_000)],
  ["end", s(now)],
];

describe("Grafana's Prometheus data source", () => {
  test("Save & test: buildinfo in Prometheus's shape, with no `features` (that would make it Mimir)", async () => {
    const info = (await data("GET", "/api/v1/status/buildinfo")) as Record<string, string>;
    expect(info.version).toBe("2.42.0");
    expect(info.revision).toMatch(/^harness-/);
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining(["branch", "buildUser", "buildDate", "goVersion"]),
    );
    expect(info).not.toHaveProperty("features");
  });

  test("Save & test: the 1+1 health query, POSTed as a form", async () => {
    expect(
      await data("POST", "/api/v1/query", [
        ["query", "1+1"],
        ["time", s(now)],
      ]),
    ).toEqual({
      resultType: "scalar",
      result: [now / 1000, "2"],
    });
  });

  test("query_range POSTed as a form, like Explore and panels by default", async () => {
    const out = (await data("POST", "/api/v1/query_range", [
      ["query", 'sum by (code) (rate(http_requests_total{job="svc"}[5m]))'],
      ...hour,
      ["step", "60"],
    ])) as { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
    expect(out.resultType).toBe("matrix");
    expect(out.result.map((r) => r.metric)).toEqual([{ code: "200" }, { code: "500" }]);
    // The first step has a single sample in its window (the data starts there): no rate yet.
    expect(out.result[0]?.values).toHaveLength(60);
    expect(Number(out.result[1]?.values.at(-1)?.[1])).toBeCloseTo(0.2, 9);
  });

  test("labels with match[], start and end (the label browser), GET and POST alike", async () => {
    const params: [string, string][] = [["match[]", 'http_requests_total{code="500"}'], ...hour];
    expect(await data("GET", "/api/v1/labels", params)).toEqual(["__name__", "code", "job"]);
    expect(await data("POST", "/api/v1/labels", params)).toEqual(["__name__", "code", "job"]);
    expect(await data("GET", "/api/v1/labels", hour)).toEqual(["__name__", "code", "instance", "job"]);
    // A range with no samples selects no series.
    const before: [string, string][] = [
      ["start", s(now - 9e6)],
      ["end", s(now - 8e6)],
    ];
    expect(await data("GET", "/api/v1/labels", before)).toEqual([]);
  });

  test("label values with match[] (metric names, a label's values) and a URL-encoded name", async () => {
    expect(await data("GET", "/api/v1/label/__name__/values", hour)).toEqual(["http_requests_total", "up"]);
    expect(await data("GET", "/api/v1/label/instance/values", [["match[]", "up"], ...hour])).toEqual([
      "a",
      "b",
    ]);
    expect(
      await data("GET", "/api/v1/label/%5F%5Fname%5F%5F/values", [["match[]", '{job="svc",code="200"}']]),
    ).toEqual(["http_requests_total"]);
    // Repeated match[] is a union.
    expect(
      await data("GET", "/api/v1/label/__name__/values", [
        ["match[]", 'up{instance="a"}'],
        ["match[]", 'http_requests_total{code="500"}'],
      ]),
    ).toEqual(["http_requests_total", "up"]);
  });

  test("series POSTed as a form, match[] from both the body and the query string", async () => {
    const out = await data(
      "POST",
      "/api/v1/series",
      [["match[]", 'up{instance="b"}'], ...hour],
      "?match[]=http_requests_total%7Bcode%3D%22500%22%7D",
    );
    expect(out).toEqual([
      { __name__: "up", instance: "b", job: "svc" },
      { __name__: "http_requests_total", code: "500", job: "svc" },
    ]);
  });

  test("rules, alerts, metadata and exemplars answer in their shapes", async () => {
    expect(await data("GET", "/api/v1/rules")).toEqual({ groups: [] });
    expect(await data("GET", "/api/v1/alerts")).toEqual({ alerts: [] });
    expect(await data("GET", "/api/v1/metadata")).toEqual({});
    expect(
      await data("GET", "/api/v1/metadata", [
        ["metric", "up"],
        ["limit", "10"],
      ]),
    ).toEqual({});
    expect(await data("GET", "/api/v1/query_exemplars", [["query", "up"], ...hour])).toEqual([]);
  });

  test.each([
    ["GET", "/api/v1/labels", [["start", "yesterday"]]],
    ["GET", "/api/v1/label/__name__/values", [["match[]", "rate(up[5m])"]]],
    ["GET", "/api/v1/label/%ff/values", []],
    ["GET", "/api/v1/label/not-a-name/values", []],
    ["POST", "/api/v1/series", [["match[]", '{job=~".*"}']]],
    ["POST", "/api/v1/series", []],
    ["GET", "/api/v1/series", [["match[]", "up{"]]],
    [
      "POST",
      "/api/v1/query_range",
      [
        ["query", "up"],
        ["start", "1"],
        ["end", "2"],
        ["step", "soon"],
      ],
    ],
    ["GET", "/api/v1/metadata", [["limit", "ten"]]],
    ["GET", "/api/v1/query_exemplars", [["query", "up{"]]],
  ] as const)("%s %s with bad parameters %j is 400 bad_data", async (method, path, params) => {
    const r = await call(
      method,
      path,
      params.map(([k, v]) => [k, v] as [string, string]),
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: "error", errorType: "bad_data" });
  });
});

describe("Grafana's Loki data source", () => {
  const range: [string, string][] = [
    ["start", ns(now - 3_600_000)],
    ["end", ns(now)],
  ];

  test("labels over a time range, and a range without entries", async () => {
    expect(await data("GET", "/loki/api/v1/labels", range)).toEqual(["app", "level"]);
    expect(
      await data("GET", "/loki/api/v1/labels", [
        ["start", ns(now - 9e6)],
        ["end", ns(now - 8e6)],
      ]),
    ).toEqual([]);
  });

  test("label values narrowed by a query selector", async () => {
    expect(
      await data("GET", "/loki/api/v1/label/level/values", [["query", '{app="api"}'], ...range]),
    ).toEqual(["error", "info"]);
    expect(
      await data("GET", "/loki/api/v1/label/app/values", [["query", '{level="info"}'], ...range]),
    ).toEqual(["api", "web"]);
  });

  test("series with repeated match[], GET and POST", async () => {
    const params: [string, string][] = [["match[]", '{app="web"}'], ["match[]", '{level="error"}'], ...range];
    const expected = [
      { app: "web", level: "info" },
      { app: "api", level: "error" },
    ];
    expect(await data("GET", "/loki/api/v1/series", params)).toEqual(expected);
    expect(await data("POST", "/loki/api/v1/series", params)).toEqual(expected);
  });

  test("index/stats: streams, chunks, entries and bytes, bare like Loki's", async () => {
    for (const method of ["GET", "POST"] as const) {
      const r = await call(method, "/loki/api/v1/index/stats", [["query", '{app="api"}'], ...range]);
      expect(r.status).toBe(200);
      // "GET /a 200" is 10 bytes, "GET /b 500 — échec" 21 in UTF-8.
      expect(r.body as unknown).toEqual({ streams: 2, chunks: 2, entries: 2, bytes: 31 });
    }
    const r = await call("GET", "/loki/api/v1/index/stats", [
      ["query", '{app=~".+"}'],
      ["start", ns(now - 1_000)],
      ["end", ns(now)],
    ]);
    expect(r.body as unknown).toEqual({ streams: 1, chunks: 1, entries: 1, bytes: 2 });
  });

  test("query_range with direction and limit, GET and POSTed as a form", async () => {
    for (const [direction, first] of [
      ["backward", "GET /b 500 — échec"],
      ["forward", "GET /a 200"],
    ] as const) {
      for (const method of ["GET", "POST"] as const) {
        const out = (await data(method, "/loki/api/v1/query_range", [
          ["query", '{app="api"}'],
          ["direction", direction],
          ["limit", "1"],
          ...range,
        ])) as { resultType: string; result: { values: [string, string][] }[] };
        expect(out.resultType).toBe("streams");
        expect(out.result.flatMap((r) => r.values.map((v) => v[1]))).toEqual([first]);
      }
    }
  });

  test.each([
    ["/loki/api/v1/series", []],
    ["/loki/api/v1/series", [["match[]", 'count_over_time({app="api"}[1m])']]],
    ["/loki/api/v1/index/stats", []],
    [
      "/loki/api/v1/index/stats",
      [
        ["query", '{app="api"}'],
        ["start", "soon"],
      ],
    ],
    ["/loki/api/v1/labels", [["since", "forever"]]],
  ] as const)("%s with bad parameters %j is 400 bad_data", async (path, params) => {
    const r = await call(
      "GET",
      path,
      params.map(([k, v]) => [k, v] as [string, string]),
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: "error", errorType: "bad_data" });
  });
});
