import type { Expr } from "./ast";
import { PromQLError } from "./errors";

// Static type checks Prometheus's parser performs, so parsePromQL rejects `rate(foo)` the same way.

type T = "scalar" | "vector" | "matrix" | "string";

const typeName: Record<T, string> = {
  scalar: "scalar",
  vector: "instant vector",
  matrix: "range vector",
  string: "string",
};

/** Argument types (a trailing `...` entry repeats the previous type any number of times) and result type. */
type Sig = { args: T[]; optional?: number; variadic?: boolean; ret: T };

const v2v: Sig = { args: ["vector"], ret: "vector" };
const m2v: Sig = { args: ["matrix"], ret: "vector" };
const time: Sig = { args: ["vector"], optional: 1, ret: "vector" };

const signatures: Record<string, Sig> = {
  abs: v2v,
  ceil: v2v,
  floor: v2v,
  exp: v2v,
  ln: v2v,
  log2: v2v,
  log10: v2v,
  sqrt: v2v,
  sgn: v2v,
  acos: v2v,
  acosh: v2v,
  asin: v2v,
  asinh: v2v,
  atan: v2v,
  atanh: v2v,
  cos: v2v,
  cosh: v2v,
  sin: v2v,
  sinh: v2v,
  tan: v2v,
  tanh: v2v,
  deg: v2v,
  rad: v2v,
  absent: v2v,
  sort: v2v,
  sort_desc: v2v,
  timestamp: v2v,
  rate: m2v,
  irate: m2v,
  increase: m2v,
  delta: m2v,
  idelta: m2v,
  deriv: m2v,
  changes: m2v,
  resets: m2v,
  absent_over_time: m2v,
  avg_over_time: m2v,
  min_over_time: m2v,
  max_over_time: m2v,
  sum_over_time: m2v,
  count_over_time: m2v,
  stddev_over_time: m2v,
  stdvar_over_time: m2v,
  last_over_time: m2v,
  present_over_time: m2v,
  mad_over_time: m2v,
  quantile_over_time: { args: ["scalar", "matrix"], ret: "vector" },
  predict_linear: { args: ["matrix", "scalar"], ret: "vector" },
  holt_winters: { args: ["matrix", "scalar", "scalar"], ret: "vector" },
  double_exponential_smoothing: { args: ["matrix", "scalar", "scalar"], ret: "vector" },
  clamp: { args: ["vector", "scalar", "scalar"], ret: "vector" },
  clamp_min: { args: ["vector", "scalar"], ret: "vector" },
  clamp_max: { args: ["vector", "scalar"], ret: "vector" },
  round: { args: ["vector", "scalar"], optional: 1, ret: "vector" },
  histogram_quantile: { args: ["scalar", "vector"], ret: "vector" },
  histogram_fraction: { args: ["scalar", "scalar", "vector"], ret: "vector" },
  label_replace: { args: ["vector", "string", "string", "string", "string"], ret: "vector" },
  label_join: { args: ["vector", "string", "string", "string"], optional: 1, variadic: true, ret: "vector" },
  sort_by_label: { args: ["vector", "string"], optional: 1, variadic: true, ret: "vector" },
  sort_by_label_desc: { args: ["vector", "string"], optional: 1, variadic: true, ret: "vector" },
  scalar: { args: ["vector"], ret: "scalar" },
  vector: { args: ["scalar"], ret: "vector" },
  time: { args: [], ret: "scalar" },
  pi: { args: [], ret: "scalar" },
  // Prometheus 3 experimental query-range functions.
  step: { args: [], ret: "scalar" },
  range: { args: [], ret: "scalar" },
  start: { args: [], ret: "scalar" },
  end: { args: [], ret: "scalar" },
  year: time,
  month: time,
  day_of_month: time,
  day_of_week: time,
  day_of_year: time,
  days_in_month: time,
  hour: time,
  minute: time,
};

const fail = (e: Expr, msg: string): never => {
  throw new PromQLError(`1:${e.from + 1}: parse error: ${msg}`, e.from);
};

/** The static type of an expression; throws PromQLError where Prometheus's parser would. */
export function typeOf(e: Expr): T {
  switch (e.type) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "vector":
      return "vector";
    case "matrix":
      return "matrix";
    case "subquery":
      if (typeOf(e.expr) !== "vector" && typeOf(e.expr) !== "scalar")
        fail(e, `subquery is only allowed on instant vector, got ${typeName[typeOf(e.expr)]} instead`);
      return "matrix";
    case "paren":
      return typeOf(e.expr);
    case "unary": {
      const t = typeOf(e.expr);
      if (t !== "scalar" && t !== "vector")
        fail(
          e,
          `unary expression only allowed on expressions of type scalar or instant vector, got "${typeName[t]}"`,
        );
      return t;
    }
    case "binary": {
      const l = typeOf(e.lhs);
      const r = typeOf(e.rhs);
      for (const t of [l, r])
        if (t !== "scalar" && t !== "vector")
          fail(e, "binary expression must contain only scalar and instant vector types");
      return l === "scalar" && r === "scalar" ? "scalar" : "vector";
    }
    case "aggregate": {
      const t = typeOf(e.expr);
      if (t !== "vector")
        fail(e, `expected type instant vector in aggregation expression, got ${typeName[t]}`);
      return "vector";
    }
    case "call":
      return checkCall(e);
  }
}

function checkCall(e: Extract<Expr, { type: "call" }>): T {
  const sig = signatures[e.func];
  // Functions missing from the table (experimental ones) are left to the evaluator.
  if (!sig) return "vector";
  const min = sig.args.length - (sig.optional ?? 0);
  const max = sig.variadic ? Number.POSITIVE_INFINITY : sig.args.length;
  if (e.args.length < min || e.args.length > max) {
    const n = sig.variadic ? `at least ${min}` : sig.optional ? `at most ${max}` : `${min}`;
    fail(e, `expected ${n} argument(s) in call to "${e.func}", got ${e.args.length}`);
  }
  e.args.forEach((a, i) => {
    const want = sig.args[Math.min(i, sig.args.length - 1)] as T;
    const got = typeOf(a);
    if (got !== want)
      fail(a, `expected type ${typeName[want]} in call to function "${e.func}", got ${typeName[got]}`);
  });
  return sig.ret;
}
