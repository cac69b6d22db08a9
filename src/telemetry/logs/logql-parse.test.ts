import { describe, expect, test } from "bun:test";
import { LogQLError } from "./logql-ast";
import { parseLogQL } from "./logql-parse";

const sel = '{app="api"}';

describe("parseLogQL", () => {
  test("stream selector with all matcher ops", () => {
    expect(parseLogQL('{a="x", b!="y", c=~"z.*", d!~`w\\d`}')).toEqual({
      kind: "log",
      selector: {
        matchers: [
          { name: "a", op: "=", value: "x" },
          { name: "b", op: "!=", value: "y" },
          { name: "c", op: "=~", value: "z.*" },
          { name: "d", op: "!~", value: "w\\d" },
        ],
        pipeline: [],
      },
    });
  });

  test.each([
    [`${sel} |= "err"`, [{ kind: "lineFilter", filter: { op: "|=", values: ["err"] } }]],
    [
      `${sel} != "x" |~ "a|b" !~ "c"`,
      [
        { kind: "lineFilter", filter: { op: "!=", values: ["x"] } },
        { kind: "lineFilter", filter: { op: "|~", values: ["a|b"] } },
        { kind: "lineFilter", filter: { op: "!~", values: ["c"] } },
      ],
    ],
    [`${sel} |= "a" or "b" or "c"`, [{ kind: "lineFilter", filter: { op: "|=", values: ["a", "b", "c"] } }]],
    [`${sel} |= "say \\"hi\\"\\n"`, [{ kind: "lineFilter", filter: { op: "|=", values: ['say "hi"\n'] } }]],
    [`${sel} | json`, [{ kind: "json", params: [] }]],
    [`${sel} | json a="b.c", d`, [{ kind: "json", params: [{ name: "a", path: "b.c" }, { name: "d" }] }]],
    [`${sel} | logfmt`, [{ kind: "logfmt", params: [], strict: false, keepEmpty: false }]],
    [
      `${sel} | logfmt --strict --keep-empty x`,
      [{ kind: "logfmt", params: [{ name: "x" }], strict: true, keepEmpty: true }],
    ],
    [
      `${sel} | line_format "{{.a}}-{{ .b }}"`,
      [{ kind: "lineFormat", template: [{ label: "a" }, { text: "-" }, { label: "b" }] }],
    ],
    [
      `${sel} | label_format x=y, z="{{.w}}"`,
      [
        {
          kind: "labelFormat",
          items: [
            { dst: "x", src: "y" },
            { dst: "z", template: [{ label: "w" }] },
          ],
        },
      ],
    ],
    [
      `${sel} | drop a, b="c"`,
      [{ kind: "drop", items: [{ name: "a" }, { name: "b", matcher: { name: "b", op: "=", value: "c" } }] }],
    ],
    [`${sel} | keep a`, [{ kind: "keep", items: [{ name: "a" }] }]],
    [`${sel} | decolorize`, [{ kind: "decolorize" }]],
  ])("pipeline %s", (q, stages) => {
    const p = parseLogQL(q);
    expect(p.kind === "log" && p.selector.pipeline).toEqual(stages as never);
  });

  test.each([
    ['a="b"', { kind: "match", matcher: { name: "a", op: "=", value: "b" } }],
    ["n >= 2.5", { kind: "number", name: "n", op: ">=", value: 2.5, unit: "number" }],
    ["n == 3", { kind: "number", name: "n", op: "==", value: 3, unit: "number" }],
    ["d > 1m30s", { kind: "number", name: "d", op: ">", value: 90_000, unit: "duration" }],
    ["size < 2KiB", { kind: "number", name: "size", op: "<", value: 2048, unit: "bytes" }],
    [
      'a="b" or c!="d"',
      {
        kind: "or",
        left: { kind: "match", matcher: { name: "a", op: "=", value: "b" } },
        right: { kind: "match", matcher: { name: "c", op: "!=", value: "d" } },
      },
    ],
    [
      'a="b", n < 1',
      {
        kind: "and",
        left: { kind: "match", matcher: { name: "a", op: "=", value: "b" } },
        right: { kind: "number", name: "n", op: "<", value: 1, unit: "number" },
      },
    ],
    [
      '(a=~"b" and n!=1)',
      {
        kind: "and",
        left: { kind: "match", matcher: { name: "a", op: "=~", value: "b" } },
        right: { kind: "number", name: "n", op: "!=", value: 1, unit: "number" },
      },
    ],
  ])("label filter %s", (f, expr) => {
    const p = parseLogQL(`${sel} | logfmt | ${f}`);
    expect(p.kind === "log" && p.selector.pipeline[1]).toEqual({ kind: "labelFilter", expr } as never);
  });

  test("metric queries", () => {
    expect(parseLogQL(`sum by (level) (count_over_time(${sel} |= "x" [5m]))`)).toEqual({
      kind: "metric",
      expr: {
        kind: "vector",
        op: "sum",
        grouping: { without: false, labels: ["level"] },
        inner: {
          kind: "range",
          op: "count_over_time",
          rangeMs: 300_000,
          offsetMs: 0,
          selector: {
            matchers: [{ name: "app", op: "=", value: "api" }],
            pipeline: [{ kind: "lineFilter", filter: { op: "|=", values: ["x"] } }],
          },
        },
      },
    });
    const q = parseLogQL(
      `topk(2, avg_over_time(${sel} | unwrap d | __error__="" [1m] offset 5m)) without (x)`,
    );
    expect(q.kind === "metric" && q.expr).toMatchObject({
      kind: "vector",
      op: "topk",
      param: 2,
      grouping: { without: true, labels: ["x"] },
      inner: {
        op: "avg_over_time",
        rangeMs: 60_000,
        offsetMs: 300_000,
        unwrap: { label: "d", filters: [{ kind: "match" }] },
      },
    });
    const b = parseLogQL(`max_over_time(${sel} | logfmt | unwrap bytes(size) [1m])`);
    expect(b.kind === "metric" && b.expr).toMatchObject({
      unwrap: { label: "size", conv: "bytes", filters: [] },
    });
    const r = parseLogQL(`rate(${sel}[30s] | logfmt)`);
    expect(r.kind === "metric" && r.expr).toMatchObject({
      op: "rate",
      rangeMs: 30_000,
      selector: { pipeline: [{ kind: "logfmt" }] },
    });
  });

  test.each([
    [`${sel} | pattern "<ip> <_>"`, "unsupported stage pattern", 14],
    [`${sel} | regexp "(?P<a>.*)"`, "unsupported stage regexp", 14],
    [`${sel} | unpack`, "unsupported stage unpack", 14],
    [`${sel} |= ip("1.2.3.4")`, "unsupported stage ip line filter", 12],
    [`${sel} |> "<_> x"`, "unsupported stage |> (pattern line filter)", 12],
    [`rate(${sel}[1m]) and rate(${sel}[1m])`, "unsupported stage and (set operation)", 22],
    [`rate(${sel}[1m]) / on (a) group_left rate(${sel}[1m])`, "unsupported stage group_left", 31],
    [`${sel} > 1`, "a log query cannot be an operand of a binary operation", 0],
    [`label_replace(rate(${sel}[1m]), "a", "$1", "b", "(.*)")`, "unsupported stage label_replace", 0],
    [`absent_over_time(${sel}[1m])`, "unsupported stage absent_over_time", 0],
    [`sort(rate(${sel}[1m]))`, "unsupported stage sort", 0],
    [`${sel} | line_format "{{ .a | ToUpper }}"`, 'unsupported template action "{{.a | ToUpper}}"', 26],
    [`sum_over_time(${sel}[1m])`, "sum_over_time requires an unwrap stage", 0],
    [`{a=`, "syntax error: unexpected end of query", 3],
    [`{a="b"} |= `, "syntax error", 11],
    [`{a=""}`, "at least one matcher that does not match the empty string", 0],
    [`{a=~"("}`, "invalid regular expression", 1],
    [`   `, "empty query", 0],
  ])("error for %s", (q, msg, pos) => {
    let err: unknown;
    try {
      parseLogQL(q);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LogQLError);
    expect((err as LogQLError).message).toContain(msg);
    expect((err as LogQLError).position).toBe(pos);
  });

  test("binary operations and literals", () => {
    const q = parseLogQL(
      `(sum(rate(${sel}[1m])) by (a) / ignoring (b) sum(rate(${sel}[1m])) by (a)) > bool 0.5`,
    );
    expect(q.kind === "metric" && q.expr).toMatchObject({
      kind: "binary",
      op: ">",
      bool: true,
      left: { kind: "binary", op: "/", bool: false, matching: { on: false, labels: ["b"] } },
      right: { kind: "literal", value: 0.5 },
    });
    const neg = parseLogQL(`-2 * count_over_time(${sel}[1m])`);
    expect(neg.kind === "metric" && neg.expr).toMatchObject({
      op: "*",
      left: { kind: "literal", value: -2 },
    });
  });

  test("errors name line and column", () => {
    expect(() => parseLogQL('{a="b"}\n| pattern "x"')).toThrow(
      "parse error at line 2, col 3: unsupported stage pattern",
    );
  });
});
