import { expect, test } from "bun:test";
import { applyBinary, type BinaryOp, lokiArithmetic, pairResult } from "./binops";

const { NaN: nan, POSITIVE_INFINITY: inf, NEGATIVE_INFINITY: ninf } = Number;

// [op, a, b, Prometheus, Loki] — Go's float64 operators, math.Mod and math.Pow; Loki guards / and % by zero.
test.each([
  ["+", 1, 2, 3, 3],
  ["-", 1, 2, -1, -1],
  ["*", 3, -2, -6, -6],
  ["/", 1, 4, 0.25, 0.25],
  ["/", 1, 0, inf, nan],
  ["/", -1, 0, ninf, nan],
  ["/", 0, 0, nan, nan],
  ["%", 7, 3, 1, 1],
  ["%", -7, 3, -1, -1], // math.Mod: the sign of the dividend
  ["%", 7, -3, 1, 1],
  ["%", 5.5, 2, 1.5, 1.5],
  ["%", 1, 0, nan, nan],
  ["%", inf, 2, nan, nan],
  ["%", 3, inf, 3, 3],
  ["^", 2, 10, 1024, 1024],
  ["^", 2, -1, 0.5, 0.5],
  ["^", nan, 0, 1, 1], // math.Pow(x, ±0) = 1 for any x
  ["^", 1, nan, 1, 1], // math.Pow(1, y) = 1 for any y; JavaScript's ** says NaN
  ["^", -1, inf, 1, 1], // math.Pow(-1, ±Inf) = 1; ** says NaN
  ["^", -8, 1 / 3, nan, nan],
  ["^", 0, -1, inf, inf],
  ["atan2", 1, 1, Math.PI / 4, Math.PI / 4],
  ["==", 1, 1, 1, 1],
  ["==", nan, nan, 0, 0],
  ["!=", nan, nan, 1, 1],
  [">", 2, 1, 1, 1],
  [">", nan, 1, 0, 0],
  ["<", 1, 2, 1, 1],
  [">=", 1, 1, 1, 1],
  ["<=", 2, 1, 0, 0],
] as [BinaryOp, number, number, number, number][])(
  "%s %p %p → Prometheus %p, Loki %p",
  (op, a, b, prom, loki) => {
    expect(applyBinary(op, a, b)).toBe(prom);
    expect(applyBinary(op, a, b, lokiArithmetic)).toBe(loki);
  },
);

// [op, a, b, bool, result]: a comparison without `bool` keeps the vector's value or drops the pair.
test.each([
  [">", 5, 3, false, 5],
  [">", 1, 3, false, null],
  [">", 5, 3, true, 1],
  [">", 1, 3, true, 0],
  ["==", nan, nan, false, null],
  ["+", 1, 2, false, 3],
] as [BinaryOp, number, number, boolean, number | null][])(
  "pair %s %p %p bool=%p → %p",
  (op, a, b, bool, want) => {
    expect(pairResult(op, a, b, bool, a)).toBe(want);
  },
);
