import { expect, test } from "bun:test";
import { parseCriterionText } from "./criterion-text";

const p99 = "histogram_quantile(0.99, sum by (le) (rate(ratelimiter_check_duration_seconds_bucket[5m])))";

test.each([
  [`${p99} < 0.01 for 5m`, { query: p99, comparator: "<", threshold: 0.01, for_seconds: 300 }],
  ["up == 1", { query: "up", comparator: "==", threshold: 1, for_seconds: 0 }],
  ['up{job="x"} == 0 empty', { query: 'up{job="x"} == 0', comparator: "empty", for_seconds: 0 }],
  [
    "sum(rate(x[5m])) > 2 <= 1e3 FOR 30s",
    { query: "sum(rate(x[5m])) > 2", comparator: "<=", threshold: 1000, for_seconds: 30 },
  ],
  ["errors nonempty for 1m", { query: "errors", comparator: "nonempty", for_seconds: 60 }],
  ["x >= -.5", { query: "x", comparator: ">=", threshold: -0.5, for_seconds: 0 }],
])("%s", (text, want) => {
  expect(parseCriterionText(text)).toEqual(want as never);
});

test.each(["up", "up < ", "< 3", "up < 3 for soon", ""])("%p is refused with the syntax", (text) => {
  expect(() => parseCriterionText(text)).toThrow(/criterion|duration|query/);
});
