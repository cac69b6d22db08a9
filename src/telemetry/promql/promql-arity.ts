import type { SyntaxNode } from "@lezer/common";
import { PromQLError } from "./promql-error";
import { kids } from "./promql-util";

/**
 * How many arguments each function takes, as Prometheus's parser/functions.go says ([min, max]; Infinity for
 * variadic ones). Checked before evaluation, so a call with too few arguments is the caller's error (400),
 * not a crash inside an implementation that reads an argument that is not there.
 */
const arity: Record<string, [number, number]> = {
  abs: [1, 1],
  absent: [1, 1],
  absent_over_time: [1, 1],
  acos: [1, 1],
  acosh: [1, 1],
  asin: [1, 1],
  asinh: [1, 1],
  atan: [1, 1],
  atanh: [1, 1],
  avg_over_time: [1, 1],
  ceil: [1, 1],
  changes: [1, 1],
  clamp: [3, 3],
  clamp_max: [2, 2],
  clamp_min: [2, 2],
  cos: [1, 1],
  cosh: [1, 1],
  count_over_time: [1, 1],
  day_of_month: [0, 1],
  day_of_week: [0, 1],
  day_of_year: [0, 1],
  days_in_month: [0, 1],
  deg: [1, 1],
  delta: [1, 1],
  deriv: [1, 1],
  double_exponential_smoothing: [3, 3],
  exp: [1, 1],
  floor: [1, 1],
  histogram_avg: [1, 1],
  histogram_count: [1, 1],
  histogram_fraction: [3, 3],
  histogram_quantile: [2, 2],
  histogram_quantiles: [3, Number.POSITIVE_INFINITY],
  histogram_stddev: [1, 1],
  histogram_stdvar: [1, 1],
  histogram_sum: [1, 1],
  holt_winters: [3, 3],
  hour: [0, 1],
  idelta: [1, 1],
  increase: [1, 1],
  info: [1, 2],
  irate: [1, 1],
  label_join: [3, Number.POSITIVE_INFINITY],
  label_replace: [5, 5],
  last_over_time: [1, 1],
  ln: [1, 1],
  log10: [1, 1],
  log2: [1, 1],
  mad_over_time: [1, 1],
  max_over_time: [1, 1],
  min_over_time: [1, 1],
  minute: [0, 1],
  month: [0, 1],
  pi: [0, 0],
  predict_linear: [2, 2],
  present_over_time: [1, 1],
  quantile_over_time: [2, 2],
  rad: [1, 1],
  rate: [1, 1],
  resets: [1, 1],
  round: [1, 2],
  scalar: [1, 1],
  sgn: [1, 1],
  sin: [1, 1],
  sinh: [1, 1],
  sort: [1, 1],
  sort_by_label: [1, Number.POSITIVE_INFINITY],
  sort_by_label_desc: [1, Number.POSITIVE_INFINITY],
  sort_desc: [1, 1],
  sqrt: [1, 1],
  stddev_over_time: [1, 1],
  stdvar_over_time: [1, 1],
  sum_over_time: [1, 1],
  tan: [1, 1],
  tanh: [1, 1],
  time: [0, 0],
  timestamp: [1, 1],
  ts_of_max_over_time: [1, 1],
  ts_of_min_over_time: [1, 1],
  ts_of_last_over_time: [1, 1],
  vector: [1, 1],
  year: [0, 1],
};

/** Walks a parsed expression and refuses any call with the wrong number of arguments, Prometheus's way. */
export function checkArity(root: SyntaxNode, src: string): void {
  const walk = (n: SyntaxNode) => {
    if (n.name === "FunctionCall") {
      const id = kids(n).find((c) => c.name === "FunctionIdentifier");
      const body = kids(n).find((c) => c.name === "FunctionCallBody");
      const name = id ? src.slice(id.from, id.to) : "";
      const count = body ? kids(body).length : 0;
      const want = arity[name];
      if (want && (count < want[0] || count > want[1])) {
        const expected =
          want[0] === want[1]
            ? `${want[0]}`
            : want[1] === Number.POSITIVE_INFINITY
              ? `at least ${want[0]}`
              : `${want[0]} to ${want[1]}`;
        throw new PromQLError(`expected ${expected} argument(s) in call to "${name}", got ${count}`, n.from);
      }
    }
    for (const c of kids(n)) walk(c);
  };
  walk(root);
}
