import { describe, expect, test } from "bun:test";
import { matchesLabel } from "../matchers";
import type { Labels, Sample, Series, SeriesQuerier } from "../types";
import { instantQuery, instantQueryAnnotated, PromQLError, rangeQuery } from "./promql";
import { formatGoFloat } from "./promql-aggregate";
import { dateParts, kahanSum, mad, quantile, roundTo, variance } from "./promql-functions";
import { bucketFraction, bucketQuantile } from "./promql-histogram";
import { formatLabels, unquoteGo } from "./promql-util";

/** A tiny in-memory querier: series with samples every minute from t=0. */
function data(series: Record<string, number[]>): SeriesQuerier {
  const all: Series[] = Object.entries(series).map(([desc, vs]) => {
    const m = /^(\w+)(?:\{(.*)\})?$/.exec(desc) as RegExpExecArray;
    const labels: Labels = { __name__: m[1] as string };
    for (const kv of (m[2] ?? "").split(",").filter(Boolean)) {
      const [k, v] = kv.split("=") as [string, string];
      labels[k] = v.replace(/"/g, "");
    }
    return { labels, samples: vs.map((v, i): Sample => ({ t: i * 60_000, v })) };
  });
  return {
    select: (matchers, start, end) =>
      all
        .filter((s) =>
          matchers.every((m) => {
            return matchesLabel(m, s.labels[m.name]);
          }),
        )
        .map((s) => ({ labels: s.labels, samples: s.samples.filter((x) => x.t >= start && x.t <= end) }))
        .filter((s) => s.samples.length > 0),
  };
}

const q = data({
  'm{job="a",i="1"}': [1, 2, 3, 4, 5],
  'm{job="a",i="2"}': [2, 4, 6, 8, 10],
  'm{job="b",i="1"}': [NaN, NaN, NaN, NaN, 7],
  'role{job="a",role="db"}': [1, 1, 1, 1, 1],
  'other{job="a",i="1"}': [0, 0, 0, 0, 0],
});

/** Evaluates at 4m and returns `labels => value` pairs, sorted for stable comparison. */
function at4m(expr: string): [string, number][] {
  const r = instantQuery(q, expr, 240_000);
  if (r.resultType === "scalar") return [["scalar", r.result.v]];
  if (r.resultType !== "vector") throw new Error(`unexpected ${r.resultType}`);
  return r.result
    .map((s): [string, number] => [
      Object.entries(s.labels)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
      s.v,
    ])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

describe("numeric helpers", () => {
  test.each([
    [0, [1, 2, 3, 4], 1],
    [0.5, [1, 2, 3, 4], 2.5],
    [1, [1, 2, 3, 4], 4],
    [-1, [1], Number.NEGATIVE_INFINITY],
    [2, [1], Number.POSITIVE_INFINITY],
  ])("quantile(%p, %p) = %p", (phi, vs, want) => expect(quantile(phi, vs)).toBe(want));

  test("variance, mad and kahanSum", () => {
    expect(variance([2, 4, 4, 4, 5, 5, 7, 9])).toBe(4);
    expect(mad([1, 2, 3, 4, 5])).toBe(1);
    expect(mad([1, Number.NaN])).toBeNaN();
    expect(kahanSum([1, 1e100, 1, -1e100])).toBe(2);
  });

  test.each([
    [0.0005 * 100, 0.1, 0.1],
    [2.15, 0.1, 2.2],
    [-1.5, 1, -1],
  ])("roundTo(%p, %p) = %p", (v, to, want) => expect(roundTo(v, to)).toBeCloseTo(want, 10));

  test.each([
    ["year", 2006],
    ["month", 1],
    ["day_of_month", 2],
    ["day_of_week", 1],
    ["day_of_year", 2],
    ["days_in_month", 31],
    ["hour", 22],
    ["minute", 4],
  ])("%s of 2006-01-02T22:04:05Z is %p", (fn, want) =>
    expect((dateParts[fn] as (d: Date) => number)(new Date(1136239445 * 1000))).toBe(want),
  );

  // One RE2 translation serves both: a pattern a selector takes, label_replace takes, and they agree on it.
  test.each([
    ["(?i)A", ["a"]],
    ["x|(?i)B", ["b"]],
    ["(?P<j>a)", ["a"]],
    ["[[:lower:]]", ["a", "b"]],
    ["\\pL", ["a", "b"]],
    ["\\Qa\\E", ["a"]],
    ["(?-s:.)", ["a", "b"]],
    ["\\x61", ["a"]],
  ])("selector and label_replace agree on %p", (re, jobs) => {
    const jobsOf = (expr: string) => [...new Set(at4m(expr).map(([l]) => /job=(\w+)/.exec(l)?.[1]))].sort();
    const raw = `\`${re}\``; // a raw PromQL string: the pattern reaches the engine as written
    expect(jobsOf(`m{job=~${raw}}`)).toEqual(jobs);
    const hit = `label_replace(m, "hit", "$0", "job", ${raw})`;
    expect(jobsOf(`${hit} and on (hit) label_replace(m, "hit", "$0", "job", ".+")`)).toEqual(jobs);
  });

  test("count_values formats like Go's FormatFloat", () => {
    expect(formatGoFloat(1e21)).toBe("1000000000000000000000");
    expect(formatGoFloat(1.5e-7)).toBe("0.00000015");
    expect(formatGoFloat(Number.POSITIVE_INFINITY)).toBe("+Inf");
  });

  test("Go string literals and label-set rendering", () => {
    expect(unquoteGo('"a\\tb\\u00e9"')).toBe("a\tbé");
    expect(unquoteGo("`raw\\n`")).toBe("raw\\n");
    expect(unquoteGo('"a\\xc5z"')).toContain("\uFFFD");
    expect(formatLabels({ b: "2", __name__: "m" })).toBe('{__name__="m", b="2"}');
  });

  test("classic histogram quantile and fraction", () => {
    const b = [
      { le: 1, v: 1 },
      { le: 2, v: 3 },
      { le: 3, v: 6 },
      { le: Number.POSITIVE_INFINITY, v: 100 },
    ];
    expect(bucketFraction(400, Number.POSITIVE_INFINITY, b)).toBeCloseTo(0.94, 10);
    expect(bucketFraction(0, 2, b)).toBeCloseTo(0.03, 10);
    expect(bucketQuantile(0.01, b)).toBe(1);
    expect(bucketQuantile(0.99, b)).toBe(3);
  });
});

describe("engine functions and operators", () => {
  test.each<[string, [string, number][]]>([
    [
      "SUM by (job) (m)",
      [
        ["job=a", 15],
        ["job=b", 7],
      ],
    ],
    ["max(m)", [["", 10]]],
    ['stddev by (job) (m{job="a"})', [["job=a", 2.5]]],
    [
      'count_values("v", m{i="1"})',
      [
        ["v=5", 1],
        ["v=7", 1],
      ],
    ],
    ['deriv(m{job="a",i="2"}[5m])', [["i=2,job=a", 2 / 60]]],
    ['predict_linear(m{job="a",i="1"}[5m], 60)', [["i=1,job=a", 6]]],
    ['quantile_over_time(0.5, m{job="a",i="1"}[5m])', [["i=1,job=a", 3]]],
    // A number where a duration goes is seconds, in any float spelling Prometheus reads.
    ['sum_over_time(m{job="a",i="1"}[1m30s])', [["i=1,job=a", 9]]],
    ['sum_over_time(m{job="a",i="1"}[90])', [["i=1,job=a", 9]]],
    ['sum_over_time(m{job="a",i="1"}[9e1])', [["i=1,job=a", 9]]],
    ['absent_over_time(nope{job="x"}[5m])', [["job=x", 1]]],
    ['label_replace(role, "r", "$1!", "role", "(d).*")', [["__name__=role,job=a,r=d!,role=db", 1]]],
    ['label_join(role, "x", "-", "job", "role")', [["__name__=role,job=a,role=db,x=a-db", 1]]],
    [
      "m * on (job) group_left (role) role",
      [
        ["i=1,job=a,role=db", 5],
        ["i=2,job=a,role=db", 10],
      ],
    ],
    ["3 atan2 0", [["scalar", Math.atan2(3, 0)]]],
    ['max_over_time(m{job="a",i="1"}[5m:1m])', [["i=1,job=a", 5]]],
    ['m{i="2"} @ 60', [["__name__=m,i=2,job=a", 4]]],
    ['m{i="2"} offset 1m', [["__name__=m,i=2,job=a", 8]]],
    ['timestamp(m{i="2"} offset 2m)', [["i=2,job=a", 120]]],
    ["min_of(3, 5)", [["scalar", 3]]],
    ["hour(vector(3600))", [["", 1]]],
  ])("%s", (expr, want) => expect(at4m(expr)).toEqual(want));

  test("sort_by_label orders naturally", () => {
    const r = instantQuery(q, 'sort_by_label_desc(m{job="a"}, "i")', 240_000);
    expect(r.resultType === "vector" && r.result.map((s) => s.labels.i)).toEqual(["2", "1"]);
  });

  test("label set collisions and many-to-many matches are errors", () => {
    expect(() => instantQuery(q, '-{__name__=~"m|other"}', 240_000)).toThrow(PromQLError);
    expect(() => instantQuery(q, "m + on (job) m", 240_000)).toThrow(/many-to-many|multiple matches/);
  });

  test("quantile outside [0, 1] is annotated", () => {
    const r = instantQueryAnnotated(q, "quantile(2, m)", 240_000);
    expect(r.annotations).toEqual(["PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)"]);
  });

  test("range queries: step(), start() and steps without data are absent", () => {
    const r = rangeQuery(q, "step() + start()", 60_000, 180_000, 60_000);
    expect(r.resultType === "matrix" && r.result[0]?.samples.map((s) => s.v)).toEqual([120, 120, 120]);
    const g = rangeQuery(q, 'm{job="b"} > 0', 0, 240_000, 60_000);
    expect(g.resultType === "matrix" && g.result[0]?.samples.map((s) => s.t)).toEqual([240_000]);
  });
});
