// The arithmetic and comparison operators PromQL and LogQL share, with Go's float semantics, in one table.

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
export type ComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";
export type BinaryOp = ArithmeticOp | ComparisonOp;

/** Go's math.Pow: unlike `**`, 1^NaN = 1 and (-1)^±Inf = 1 (x^0 = 1 holds in both). */
function goPow(a: number, b: number): number {
  if (b === 0 || a === 1) return 1;
  if (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY)) return 1;
  return a ** b;
}

/**
 * Prometheus's arithmetic: IEEE division (x/0 = ±Inf, 0/0 = NaN), `%` as Go's math.Mod (the sign of the
 * dividend, x%0 = NaN, which JavaScript's `%` already is) and `^` as math.Pow.
 */
export const arithmetic: Record<ArithmeticOp, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "%": (a, b) => a % b,
  "^": goPow,
  atan2: Math.atan2,
};

/** Loki's MergeBinOp guards `/` and `%` against a zero divisor: NaN where Prometheus gives ±Inf. */
export const lokiArithmetic: Record<ArithmeticOp, (a: number, b: number) => number> = {
  ...arithmetic,
  "/": (a, b) => (b === 0 ? Number.NaN : a / b),
  "%": (a, b) => (b === 0 ? Number.NaN : a % b),
};

/** Comparisons as Go's float operators: anything compared with NaN is false, except `!=`. */
export const comparisons: Record<ComparisonOp, (a: number, b: number) => boolean> = {
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
  ">": (a, b) => a > b,
  "<": (a, b) => a < b,
  ">=": (a, b) => a >= b,
  "<=": (a, b) => a <= b,
};

export const isComparison = (op: string): op is ComparisonOp => Object.hasOwn(comparisons, op);
export const isArithmetic = (op: string): op is ArithmeticOp => Object.hasOwn(arithmetic, op);

/** The operator's value for one pair: arithmetic, or a comparison as 1/0 (what `bool` returns). */
export function applyBinary(op: BinaryOp, a: number, b: number, table = arithmetic): number {
  return isComparison(op) ? Number(comparisons[op](a, b)) : table[op](a, b);
}

/**
 * One pair of a vector operation: a comparison without `bool` filters, keeping `keep` (the vector side's own
 * value) when true and dropping the pair (null) when false; with `bool`, or for arithmetic, the value.
 */
export function pairResult(
  op: BinaryOp,
  a: number,
  b: number,
  returnBool: boolean,
  keep: number,
  table = arithmetic,
): number | null {
  if (!isComparison(op) || returnBool) return applyBinary(op, a, b, table);
  return comparisons[op](a, b) ? keep : null;
}
