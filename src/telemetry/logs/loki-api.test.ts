import { describe, expect, test } from "bun:test";
import { Redactor } from "../../lib/redact";
import {
  decodeLokiPush,
  encodeLokiPush,
  handleLokiLabels,
  handleLokiLabelValues,
  handleLokiPush,
  handleLokiQuery,
  handleLokiQueryRange,
  handleLokiRequest,
  inlineLogQueries,
  parseLokiTime,
} from "./loki-api";
import { LogStore } from "./store";

const T0 = Date.UTC(2026, 0, 1); // 1767225600 s
const S0 = T0 / 1000;
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const base = "http://h/loki/api/v1";

async function seeded(): Promise<LogStore> {
  const store = new LogStore(":memory:");
  const body = encodeLokiPush([
    {
      labels: { service: "api", stream: "stdout" },
      entries: [
        { t: T0 + 1000, line: "level=info msg=a" },
        { t: T0 + 2000, line: "level=error msg=b" },
      ],
    },
    { labels: { service: "web", stream: "stderr" }, entries: [{ t: T0 + 3000, line: "boom" }] },
  ]);
  const res = await handleLokiPush(
    new Request(`${base}/push`, { method: "POST", body, headers: { "content-type": "application/json" } }),
    store,
  );
  expect(res.status).toBe(204);
  return store;
}

const get = (path: string, params: Record<string, string>) =>
  new Request(`${base}${path}?${new URLSearchParams(params)}`);

describe("Loki push", () => {
  test("encode and decode round-trip with nanosecond strings", () => {
    const body = encodeLokiPush([{ labels: { a: "b" }, entries: [{ t: T0 + 5, line: "x" }] }]);
    expect(JSON.parse(body)).toEqual({
      streams: [{ stream: { a: "b" }, values: [[`${T0 + 5}000000`, "x"]] }],
    });
    expect(decodeLokiPush(body)).toEqual([{ labels: { a: "b" }, t: T0 + 5, line: "x" }]);
    expect(
      decodeLokiPush({ streams: [{ stream: { a: "b" }, values: [[ns(T0), "y", { trace_id: "1" }]] }] }),
    ).toEqual([{ labels: { a: "b" }, t: T0, line: "y" }]);
  });

  test.each([
    [{ streams: [{ stream: { "bad-name": "x" }, values: [] }] }, "streams.0.stream.bad-name"],
    [{ streams: [{ stream: { a: "b" }, values: [["12.5", "x"]] }] }, "integer nanoseconds"],
    [{ streams: [{ stream: {}, values: [[ns(T0), "x"]] }] }, "at least one label"],
    [{}, "invalid push body at streams"],
  ])("rejects %j", (body, msg) => {
    expect(() => decodeLokiPush(body)).toThrow(msg);
  });

  test("push errors are 400 bad_data; protobuf is 415; gzip works", async () => {
    const store = new LogStore(":memory:");
    const r = await handleLokiPush(new Request(`${base}/push`, { method: "POST", body: "{nope" }), store);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      status: "error",
      errorType: "bad_data",
      error: "invalid push body: not JSON",
    });
    const p = await handleLokiPush(
      new Request(`${base}/push`, {
        method: "POST",
        body: "x",
        headers: { "content-type": "application/x-protobuf" },
      }),
      store,
    );
    expect(p.status).toBe(415);
    const gz = Bun.gzipSync(encodeLokiPush([{ labels: { a: "b" }, entries: [{ t: T0, line: "zipped" }] }]));
    const g = await handleLokiPush(
      new Request(`${base}/push`, { method: "POST", body: gz, headers: { "content-encoding": "gzip" } }),
      store,
    );
    expect(g.status).toBe(204);
    expect(store.labelValues("a")).toEqual(["b"]);
  });

  test("a line filter (the redactor, in the app) runs before pushed lines are stored", async () => {
    const store = new LogStore(":memory:");
    const secret = "push-secret-0123456789";
    const redactor = new Redactor([secret]);
    const body = encodeLokiPush([
      {
        labels: { service: "api" },
        entries: [{ t: T0, line: `auth failed for ${Buffer.from(secret).toString("base64")} and ${secret}` }],
      },
    ]);
    const push = new Request(`${base}/push`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    expect(
      (await handleLokiRequest(push, store, T0, (l) => redactor.text(l), inlineLogQueries(store)))?.status,
    ).toBe(204);
    const res = await handleLokiRequest(
      get("/query_range", { query: '{service="api"}', start: ns(T0 - 1000), end: ns(T0 + 1000) }),
      store,
      T0,
      undefined,
      inlineLogQueries(store),
    );
    const json = (await res?.json()) as { data: { result: { values: [string, string][] }[] } };
    expect(json.data.result[0]?.values.map(([, line]) => line)).toEqual([
      "auth failed for [REDACTED] and [REDACTED]",
    ]);
  });
});

describe("Loki query API", () => {
  test("query_range for a log query returns streams with ns timestamps", async () => {
    const store = await seeded();
    const res = await handleLokiQueryRange(
      get("/query_range", { query: '{service=~".+"}', start: ns(T0), end: ns(T0 + 10_000), limit: "2" }),
      inlineLogQueries(store),
      T0,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "success",
      data: {
        resultType: "streams",
        result: [
          { stream: { service: "web", stream: "stderr" }, values: [[ns(T0 + 3000), "boom"]] },
          { stream: { service: "api", stream: "stdout" }, values: [[ns(T0 + 2000), "level=error msg=b"]] },
        ],
        stats: {},
      },
    });
  });

  test("query_range accepts RFC 3339, seconds and forward direction; defaults to the last hour", async () => {
    const store = await seeded();
    const body = async (params: Record<string, string>, now = T0) =>
      (await (
        await handleLokiQueryRange(get("/query_range", params), inlineLogQueries(store), now)
      ).json()) as {
        data: { result: { values: [string, string][] }[] };
      };
    const r = await body({
      query: '{service="api"}',
      start: "2026-01-01T00:00:01.5Z",
      end: `${S0 + 5}`,
      direction: "forward",
    });
    expect(r.data.result[0]?.values).toEqual([[ns(T0 + 2000), "level=error msg=b"]]);
    const d = await body({ query: '{service="api"}' }, T0 + 3_600_000);
    expect(d.data.result[0]?.values.map((v) => v[1])).toEqual(["level=error msg=b", "level=info msg=a"]);
    const late = await body({ query: '{service="api"}' }, T0 + 2 * 3_600_000);
    expect(late.data.result).toEqual([]);
  });

  test("query_range for a metric query returns a Prometheus-style matrix", async () => {
    const store = await seeded();
    const res = await handleLokiQueryRange(
      get("/query_range", {
        query: 'sum by (service) (count_over_time({service=~".+"}[2s]))',
        start: `${S0 + 2}`,
        end: `${S0 + 4}`,
        step: "2s",
      }),
      inlineLogQueries(store),
      T0,
    );
    expect(await res.json()).toEqual({
      status: "success",
      data: {
        resultType: "matrix",
        result: [
          { metric: { service: "api" }, values: [[S0 + 2, "2"]] },
          { metric: { service: "web" }, values: [[S0 + 4, "1"]] },
        ],
        stats: {},
      },
    });
  });

  test("instant query returns a vector, or streams of the last hour for a log query", async () => {
    const store = await seeded();
    const res = await handleLokiQuery(
      get("/query", { query: 'rate({service="api"}[10s])', time: ns(T0 + 10_000) }),
      inlineLogQueries(store),
      0,
    );
    expect(await res.json()).toEqual({
      status: "success",
      data: {
        resultType: "vector",
        result: [{ metric: { service: "api", stream: "stdout" }, value: [S0 + 10, "0.2"] }],
        stats: {},
      },
    });
    const logq = await handleLokiQuery(
      get("/query", { query: '{service="api"}', limit: "1", direction: "forward" }),
      inlineLogQueries(store),
      T0 + 3_600_000 + 1500,
    );
    expect(await logq.json()).toEqual({
      status: "success",
      data: {
        resultType: "streams",
        result: [
          { stream: { service: "api", stream: "stdout" }, values: [[ns(T0 + 2000), "level=error msg=b"]] },
        ],
        stats: {},
      },
    });
  });

  test.each([
    [{}, 'invalid parameter "query": missing'],
    [{ query: '{service="api"} | pattern "<a>"' }, "unsupported stage pattern"],
    [{ query: "{service=" }, "syntax error"],
    [{ query: '{service="api"}', start: "yesterday" }, 'invalid parameter "start"'],
    [{ query: '{service="api"}', direction: "up" }, 'invalid parameter "direction"'],
    [{ query: '{service="api"}', limit: "-1" }, 'invalid parameter "limit"'],
    [{ query: 'rate({service="api"}[1m])', step: "fast" }, 'invalid parameter "step"'],
    // Loki reads `step` as seconds or a Prometheus duration (model.ParseDuration): no fractions.
    [{ query: 'rate({service="api"}[1m])', step: "1.5m" }, 'invalid parameter "step"'],
  ])("query_range 400 for %j", async (params, msg) => {
    const store = await seeded();
    const res = await handleLokiQueryRange(get("/query_range", params), inlineLogQueries(store), T0);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, string>;
    expect(body.status).toBe("error");
    expect(body.errorType).toBe("bad_data");
    expect(body.error).toContain(msg);
  });

  test("labels and label values, optionally narrowed by a selector", async () => {
    const store = await seeded();
    const json = async (r: Promise<Response>) => (await r).json();
    expect(await json(handleLokiLabels(get("/labels", {}), store, T0))).toEqual({
      status: "success",
      data: ["service", "stream"],
    });
    expect(await json(handleLokiLabelValues(get("/label/service/values", {}), store, "service", T0))).toEqual(
      {
        status: "success",
        data: ["api", "web"],
      },
    );
    expect(
      await json(
        handleLokiLabelValues(get("/label/stream/values", { query: '{service="web"}' }), store, "stream", T0),
      ),
    ).toEqual({ status: "success", data: ["stderr"] });
  });

  test("since is a Prometheus duration, as Loki reads it", async () => {
    const store = await seeded();
    const status = async (since: string) =>
      (await handleLokiLabels(get("/labels", { since }), store, T0)).status;
    expect(await status("1h30m")).toBe(200);
    expect(await status("1.5h")).toBe(400);
  });

  test("router dispatches by path", async () => {
    const store = await seeded();
    const r = handleLokiRequest(
      new Request(`${base}/label/service/values`),
      store,
      T0,
      undefined,
      inlineLogQueries(store),
    );
    expect(await (await r)?.json()).toEqual({ status: "success", data: ["api", "web"] });
    const form = handleLokiRequest(
      new Request(`${base}/query_range`, {
        method: "POST",
        body: new URLSearchParams({ query: '{service="web"}', start: ns(T0) }),
      }),
      store,
      T0 + 60_000,
      undefined,
      inlineLogQueries(store),
    );
    const formRes = await form;
    if (!formRes) throw new Error("query_range not routed");
    expect(((await formRes.json()) as { data: { result: unknown[] } }).data.result).toHaveLength(1);
    expect(
      handleLokiRequest(new Request("http://h/api/v1/query"), store, T0, undefined, inlineLogQueries(store)),
    ).toBeNull();
  });

  test.each([
    ["", 7, 7],
    ["1767225600", 0, T0],
    ["1767225600.25", 0, T0 + 250],
    [ns(T0 + 3), 0, T0 + 3],
    ["2026-01-01T00:00:00.5Z", 0, T0 + 500],
  ])("parseLokiTime(%p)", (v, fallback, want) => {
    expect(parseLokiTime(v, fallback, "t")).toBe(want);
  });
});
