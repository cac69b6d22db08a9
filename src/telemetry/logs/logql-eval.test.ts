import { describe, expect, test } from "bun:test";
import type { QueryResult } from "../types";
import { instantLogQuery, queryLogs, rangeLogQuery } from "./logql-eval";
import { LogStore } from "./store";

const T0 = Date.UTC(2026, 0, 1);
const api = { app: "api" };
const web = { app: "web" };

const all = { startMs: T0, endMs: T0 + 600_000, limit: 100, direction: "forward" as const };

function store(lines: [labels: Record<string, string>, offsetMs: number, line: string][]): LogStore {
  const s = new LogStore(":memory:");
  s.append(lines.map(([labels, dt, line]) => ({ labels, t: T0 + dt, line })));
  return s;
}

const lines = (s: LogStore, q: string) =>
  queryLogs(s, q, all).result.flatMap((r) => r.entries.map((e) => e.line));
const streams = (s: LogStore, q: string) =>
  queryLogs(s, q, all).result.map((r) => ({ labels: r.labels, lines: r.entries.map((e) => e.line) }));

describe("line filters", () => {
  const s = store([
    [api, 1, "GET /a 200 fast"],
    [api, 2, "GET /b 500 ConnectionError"],
    [api, 3, "POST /c 201 slow"],
    [web, 4, "GET / 200"],
  ]);
  test.each([
    ['{app="api"}', ["GET /a 200 fast", "GET /b 500 ConnectionError", "POST /c 201 slow"]],
    ['{app="api"} |= "rror"', ["GET /b 500 ConnectionError"]],
    ['{app="api"} |= "GET" != "500"', ["GET /a 200 fast"]],
    ['{app="api"} |~ "5\\\\d\\\\d"', ["GET /b 500 ConnectionError"]],
    ['{app="api"} |~ "(?i)connectionerror"', ["GET /b 500 ConnectionError"]],
    ['{app="api"} !~ "^GET"', ["POST /c 201 slow"]],
    ['{app="api"} |= "fast" or "slow"', ["GET /a 200 fast", "POST /c 201 slow"]],
    ['{app="api"} |~ "fas" or "lo"', ["GET /a 200 fast", "POST /c 201 slow"]],
    ['{app="api"} != "fast" or "slow"', ["GET /b 500 ConnectionError"]],
    ['{app=~".+"} |= "200"', ["GET /a 200 fast", "GET / 200"]],
    ['{app="nope"}', []],
  ])("%s", (q, want) => {
    expect(lines(s, q)).toEqual(want);
  });

  // One RE2 translation (src/telemetry/regex.ts): matchers anchor as Prometheus does, line filters search.
  test.each([
    ["{app=~`(?P<a>ap).`} |~ `[[:digit:]]{3} \\p{Lu}`", ["GET /b 500 ConnectionError"]],
    ["{app=~`(?i)API`} |~ `(?i)\\QCONNECTION\\E`", ["GET /b 500 ConnectionError"]],
    ["{app=~`ap`}", []], // anchored: "ap" is not "api"
    ["{app=~`a.*`} |~ `^P`", ["POST /c 201 slow"]],
  ])("RE2 syntax in %s", (q, want) => {
    expect(lines(s, q)).toEqual(want);
  });

  test("limit and direction", () => {
    const back = queryLogs(s, '{app=~".+"}', { ...all, limit: 2, direction: "backward" });
    expect(back.result.flatMap((r) => r.entries.map((e) => e.t - T0))).toEqual([4, 3]);
    expect(back.result.map((r) => r.labels)).toEqual([web, api]);
  });
});

describe("parsers and label stages", () => {
  const s = store([
    [api, 1, '{"level":"error","msg":"db down","req":{"path":"/a","ms":1200},"tags":["x"],"app":"other"}'],
    [api, 2, '{"level":"info","msg":"ok","req":{"path":"/b","ms":30}}'],
    [web, 3, 'level=warn msg="slow request" dur=1.5s size=2KB'],
    [web, 4, "level=info msg=fine dur=20ms size=100B"],
    [web, 5, "not json nor logfmt ="],
  ]);

  test("json flattens nested fields with _ and renames clashes with stream labels", () => {
    expect(streams(s, '{app="api"} | json | level="error"')).toEqual([
      {
        labels: {
          app: "api",
          level: "error",
          msg: "db down",
          req_path: "/a",
          req_ms: "1200",
          app_extracted: "other",
        },
        lines: [expect.stringContaining("db down") as unknown as string],
      },
    ]);
  });

  test.each([
    ['{app="api"} | json | req_ms > 1000', ["db down"]],
    ['{app="api"} | json | req_ms <= 30', ["ok"]],
    ['{app="api"} | json | req_ms == 30 or level="error"', ["db down", "ok"]],
    ['{app="api"} | json | level=~"err.*", req_path="/a"', ["db down"]],
    ['{app="api"} | json | level!="error"', ["ok"]],
    ['{app="api"} | json | missing != 1', ["db down", "ok"]],
    ['{app="api"} | json | missing > 1', []],
    ['{app="web"} | logfmt | dur > 1s', ["slow request"]],
    ['{app="web"} | logfmt | size >= 1KB', ["slow request"]],
    ['{app="web"} | logfmt | level="info"', ["fine"]],
  ])("%s", (q, want) => {
    const got = queryLogs(s, `${q} | line_format "{{.msg}}"`, all);
    expect(got.result.flatMap((r) => r.entries.map((e) => e.line))).toEqual(want);
  });

  // Loki reads a label's value with Go's time.ParseDuration: fractions and µs, but no days.
  test.each([
    ["dur > 1s", ["a"]],
    ["dur < 1ms", ["b"]],
    ["dur != 1s", ["a", "b", "c", "d"]],
    ["dur >= 0s", ["a", "b"]],
  ])("duration label values: %s", (filter, want) => {
    const d = store([
      [api, 1, "dur=1.5s k=a"],
      [api, 2, "dur=250µs k=b"],
      [api, 3, "dur=1d k=c"],
      [api, 4, "dur=fast k=d"],
    ]);
    const got = queryLogs(d, `{app="api"} | logfmt | ${filter} | line_format "{{.k}}"`, all);
    expect(got.result.flatMap((r) => r.entries.map((e) => e.line))).toEqual(want);
  });

  test("json with extraction expressions", () => {
    expect(
      streams(s, '{app="api"} | json p="req.path", first="tags[0]", lvl="level" | keep p, first, lvl'),
    ).toEqual([
      { labels: { p: "/a", first: "x", lvl: "error" }, lines: [expect.any(String) as unknown as string] },
      { labels: { p: "/b", lvl: "info" }, lines: [expect.any(String) as unknown as string] },
    ]);
  });

  test("a non-JSON line gets __error__", () => {
    const r = streams(s, '{app="web"} | json | __error__="JSONParserErr" | line_format "{{.__error__}}"');
    expect(r.flatMap((x) => x.lines)).toEqual(["JSONParserErr", "JSONParserErr", "JSONParserErr"]);
  });

  test("logfmt with extraction and keep", () => {
    expect(streams(s, '{app="web"} |= "level=" | logfmt l="level", d="dur" | keep l, d')).toEqual([
      { labels: { l: "warn", d: "1.5s" }, lines: ['level=warn msg="slow request" dur=1.5s size=2KB'] },
      { labels: { l: "info", d: "20ms" }, lines: ["level=info msg=fine dur=20ms size=100B"] },
    ]);
  });

  test("line_format with spaces, missing fields and __line__", () => {
    expect(
      lines(
        s,
        '{app="web"} |= "warn" | logfmt | line_format "[{{ .level }}] {{.msg}}{{.nope}} <{{__line__}}>"',
      ),
    ).toEqual(['[warn] slow request <level=warn msg="slow request" dur=1.5s size=2KB>']);
  });

  test("line filters after line_format see the new line", () => {
    expect(lines(s, '{app="web"} | logfmt | line_format "{{.level}}" |= "warn"')).toEqual(["warn"]);
  });

  test("label_format renames and templates; drop removes", () => {
    expect(
      streams(
        s,
        '{app="web"} |= "warn" | logfmt | label_format lvl=level, both="{{.level}}/{{.dur}}" | drop msg, size, dur',
      ),
    ).toEqual([
      {
        labels: { app: "web", lvl: "warn", both: "warn/1.5s" },
        lines: ['level=warn msg="slow request" dur=1.5s size=2KB'],
      },
    ]);
    expect(
      streams(s, '{app="web"} | logfmt | drop level="info", msg, dur, size, __error__').map((x) => x.labels),
    ).toEqual([{ app: "web", level: "warn" }, { app: "web" }]);
  });

  test("decolorize", () => {
    const c = store([[api, 1, "\x1b[31mred\x1b[0m text"]]);
    expect(lines(c, '{app="api"} | decolorize')).toEqual(["red text"]);
  });
});

const vec = (r: QueryResult) =>
  r.resultType === "vector" ? r.result.map((x) => ({ labels: x.labels, v: x.v })) : "not a vector";

describe("metric queries", () => {
  // api: 6 lines in the first minute (2 errors), 3 in the second; web: 2 lines in the first minute.
  const s = store([
    [api, 5_000, "level=info dur=10ms"],
    [api, 10_000, "level=error dur=200ms"],
    [api, 20_000, "level=info dur=30ms"],
    [api, 30_000, "level=info dur=40ms"],
    [api, 40_000, "level=error dur=1s"],
    [api, 60_000, "level=info dur=60ms"], // exactly at the window end: included in (0, 60s]
    [api, 70_000, "level=info dur=5ms"],
    [api, 80_000, "level=info dur=15ms"],
    [api, 90_000, "level=warn dur=25ms"],
    [web, 15_000, "hello"],
    [web, 45_000, "héllo"],
  ]);
  const at = (ms: number) => T0 + ms;

  test.each([
    ['count_over_time({app="api"}[1m])', [{ labels: api, v: 6 }]],
    [
      'count_over_time({app=~".+"}[1m])',
      [
        { labels: api, v: 6 },
        { labels: web, v: 2 },
      ],
    ],
    ['rate({app="api"}[1m])', [{ labels: api, v: 0.1 }]],
    ['count_over_time({app="api"} |= "error" [1m])', [{ labels: api, v: 2 }]],
    ['bytes_over_time({app="web"}[1m])', [{ labels: web, v: 11 }]],
    ['bytes_rate({app="web"}[30s])', [{ labels: web, v: 6 / 30 }]],
    ['sum(count_over_time({app=~".+"}[1m]))', [{ labels: {}, v: 8 }]],
    [
      'sum by (level) (count_over_time({app="api"} | logfmt [1m]))',
      [
        { labels: { level: "info" }, v: 4 },
        { labels: { level: "error" }, v: 2 },
      ],
    ],
    ['count(count_over_time({app=~".+"}[1m]))', [{ labels: {}, v: 2 }]],
    ['max(count_over_time({app=~".+"}[1m]))', [{ labels: {}, v: 6 }]],
    ['min(count_over_time({app=~".+"}[1m]))', [{ labels: {}, v: 2 }]],
    ['avg(count_over_time({app=~".+"}[1m]))', [{ labels: {}, v: 4 }]],
    ['topk(1, count_over_time({app=~".+"}[1m]))', [{ labels: api, v: 6 }]],
    ['bottomk(1, count_over_time({app=~".+"}[1m]))', [{ labels: web, v: 2 }]],
    ['sum without (level) (count_over_time({app="api"} | logfmt | drop dur [1m]))', [{ labels: api, v: 6 }]],
    // 10+200+30+40+1000+60 ms = 1340 ms
    [
      'sum_over_time({app="api"} | logfmt | drop level | unwrap duration(dur) [1m])',
      [{ labels: api, v: 1.34 }],
    ],
    ['max_over_time({app="api"} | logfmt | unwrap duration(dur) [1m]) by (app)', [{ labels: api, v: 1 }]],
    ['min_over_time({app="api"} | logfmt | unwrap duration(dur) [1m]) by (app)', [{ labels: api, v: 0.01 }]],
    [
      'avg_over_time({app="api"} | logfmt | unwrap duration(dur) [1m]) by (app)',
      [{ labels: api, v: 1.34 / 6 }],
    ],
  ])("%s at 60s", (q, want) => {
    expect(vec(instantLogQuery(s, q, at(60_000)))).toEqual(want);
  });

  test.each([
    ['count_over_time({app="api"}[1m]) * 2', [{ labels: api, v: 12 }]],
    ['1 + count_over_time({app="web"}[1m])', [{ labels: web, v: 3 }]],
    ['count_over_time({app=~".+"}[1m]) > 3', [{ labels: api, v: 6 }]],
    [
      'count_over_time({app=~".+"}[1m]) > bool 3',
      [
        { labels: api, v: 1 },
        { labels: web, v: 0 },
      ],
    ],
    [
      'sum(count_over_time({app="api"} |= "error" [1m])) / sum(count_over_time({app="api"}[1m]))',
      [{ labels: {}, v: 2 / 6 }],
    ],
    [
      'sum by (app) (count_over_time({app=~".+"} |= "error" [1m])) / on (app) sum by (app) (count_over_time({app=~".+"}[1m]))',
      [{ labels: api, v: 2 / 6 }],
    ],
    // Loki guards division by zero: NaN where Prometheus would give +Inf.
    ['count_over_time({app="api"}[1m]) / 0', [{ labels: api, v: Number.NaN }]],
    ['count_over_time({app="api"}[1m]) % 0', [{ labels: api, v: Number.NaN }]],
  ])("binary %s at 60s", (q, want) => {
    expect(vec(instantLogQuery(s, q, at(60_000)))).toEqual(want);
  });

  test("a literal alone is a scalar", () => {
    expect(instantLogQuery(s, "2 * 3", at(0))).toEqual({ resultType: "scalar", result: { t: at(0), v: 6 } });
    // `^` is Go's math.Pow, as in PromQL: 1^NaN is 1, where JavaScript's ** says NaN.
    expect(instantLogQuery(s, "1 ^ (0 / 0)", at(0))).toEqual({
      resultType: "scalar",
      result: { t: at(0), v: 1 },
    });
    expect(rangeLogQuery(s, "1", at(0), at(10), 10)).toEqual({
      resultType: "matrix",
      result: [
        {
          labels: {},
          samples: [
            { t: at(0), v: 1 },
            { t: at(10), v: 1 },
          ],
        },
      ],
    });
  });

  test("unwrapped labels leave the series and non-numeric values are skipped", () => {
    const u = store([
      [api, 1_000, "n=2 k=a"],
      [api, 2_000, "n=x k=a"],
      [api, 3_000, "n=5 k=b"],
    ]);
    expect(
      vec(instantLogQuery(u, 'sum_over_time({app="api"} | logfmt | unwrap n [1m])', at(60_000))),
    ).toEqual([
      { labels: { app: "api", k: "a" }, v: 2 },
      { labels: { app: "api", k: "b" }, v: 5 },
    ]);
  });

  test("range query steps over (t - range, t] windows", () => {
    const r = rangeLogQuery(s, 'count_over_time({app="api"}[30s])', at(30_000), at(90_000), 30_000);
    expect(r).toEqual({
      resultType: "matrix",
      result: [
        {
          labels: api,
          samples: [
            { t: at(30_000), v: 4 }, // 5, 10, 20, 30
            { t: at(60_000), v: 2 }, // 40, 60
            { t: at(90_000), v: 3 }, // 70, 80, 90
          ],
        },
      ],
    });
  });

  test("range query with aggregation and empty steps", () => {
    const r = rangeLogQuery(s, 'sum by (app) (rate({app="web"}[10s]))', at(10_000), at(50_000), 20_000);
    expect(r).toEqual({
      resultType: "matrix",
      result: [{ labels: web, samples: [{ t: at(50_000), v: 0.1 }] }],
    });
  });

  test("offset shifts the window back", () => {
    expect(vec(instantLogQuery(s, 'count_over_time({app="api"}[30s] offset 30s)', at(90_000)))).toEqual([
      { labels: api, v: 2 },
    ]);
  });

  test("log and metric queries are not interchangeable", () => {
    expect(() => instantLogQuery(s, '{app="api"}', at(0))).toThrow("log query");
    expect(() => queryLogs(s, 'rate({app="api"}[1m])', all)).toThrow("metric query");
    expect(() => rangeLogQuery(s, 'rate({app="api"}[1m])', at(0), at(1), 0)).toThrow("step");
  });
});
