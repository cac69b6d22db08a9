import { describe, expect, test } from "bun:test";
import { PromQLError } from "./errors";
import { parsePromQL } from "./parse";

describe("parsePromQL errors", () => {
  const cases: [string, string, number][] = [
    ["sum(", "1:5: parse error: unexpected end of input", 4],
    ["foo{", "1:5: parse error: unexpected end of input", 4],
    ["1 +", "1:4: parse error: unexpected end of input", 3],
    [")", '1:1: parse error: unexpected ")"', 0],
    ["", "1:1: parse error: unexpected end of input", 0],
    ["foo bar", '1:5: parse error: unexpected "bar"', 4],
  ];
  for (const [expr, message, position] of cases)
    test(JSON.stringify(expr), () => {
      let err: unknown;
      try {
        parsePromQL(expr);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PromQLError);
      expect((err as PromQLError).message).toBe(message);
      expect((err as PromQLError).position).toBe(position);
    });

  test("offset on an aggregation is rejected", () => {
    expect(() => parsePromQL("sum(x) offset 5m")).toThrow("offset modifier must be preceded by");
  });
});

describe("parsePromQL AST", () => {
  test("literals", () => {
    expect(parsePromQL("0x1F")).toMatchObject({ type: "number", value: 31 });
    expect(parsePromQL("1h30m")).toMatchObject({ type: "number", value: 5400 });
    expect(parsePromQL("-Inf")).toMatchObject({ value: Number.NEGATIVE_INFINITY });
    expect(parsePromQL("'a\\tb'")).toMatchObject({ type: "string", value: "a\tb" });
    expect(parsePromQL("`raw\\n`")).toMatchObject({ type: "string", value: "raw\\n" });
  });

  test("selectors with matchers, quoted names and modifiers", () => {
    expect(parsePromQL('{"my.metric", a!~"b"}')).toMatchObject({
      type: "vector",
      name: "my.metric",
      matchers: [
        { name: "__name__", op: "=", value: "my.metric" },
        { name: "a", op: "!~", value: "b" },
      ],
    });
    expect(parsePromQL("x offset -1m @ 100")).toMatchObject({
      type: "vector",
      offsetMs: -60_000,
      at: { kind: "time", ms: 100_000 },
    });
    expect(parsePromQL("x[5m] @ end()")).toMatchObject({
      type: "matrix",
      rangeMs: 300_000,
      at: { kind: "end" },
    });
    expect(parsePromQL("x[5m:]")).toMatchObject({ type: "subquery", rangeMs: 300_000 });
    expect(parsePromQL("x[1h:5m]")).toMatchObject({ type: "subquery", rangeMs: 3_600_000, stepMs: 300_000 });
  });

  test("modifiers after a binary expression bind to its right operand, as in Prometheus", () => {
    expect(parsePromQL("a or b offset 5m")).toMatchObject({
      type: "binary",
      lhs: { type: "vector", name: "a" },
      rhs: { type: "vector", name: "b", offsetMs: 300_000 },
    });
  });

  test("precedence: unary minus is looser than ^, which is right-associative", () => {
    expect(parsePromQL("-x ^ 2 ^ 3")).toMatchObject({
      type: "unary",
      expr: { type: "binary", op: "^", rhs: { type: "binary", op: "^" } },
    });
    expect(parsePromQL("1 + 2 * 3")).toMatchObject({ op: "+", rhs: { op: "*" } });
  });

  test("aggregations, matching and bool", () => {
    expect(parsePromQL("topk by (a) (3, x)")).toMatchObject({
      type: "aggregate",
      op: "topk",
      param: { type: "number", value: 3 },
      grouping: { without: false, labels: ["a"] },
    });
    expect(parsePromQL("a / on(b) group_left(c) d")).toMatchObject({
      matching: { card: "many-to-one", on: true, labels: ["b"], include: ["c"] },
    });
    expect(parsePromQL("a > bool ignoring(x) b")).toMatchObject({
      bool: true,
      matching: { card: "one-to-one", on: false, labels: ["x"] },
    });
  });
});
