import { expect, test } from "bun:test";
import { parseApiStep } from "./prom-format";

// Prometheus's API reads `step` as a float number of seconds or a model.ParseDuration duration.
test.each([
  ["15s", 15_000],
  ["1m30s", 90_000], // compound, as Prometheus takes it
  ["1h", 3_600_000],
  ["30", 30_000],
  ["0.5", 500],
  ["1e2", 100_000],
])("step %p → %p ms", (value, ms) => {
  expect(parseApiStep(value)).toBe(ms);
});

test.each(["1.5m", "30m1h", "-5s", "fast", "5 s"])("step %p is refused", (value) => {
  expect(() => parseApiStep(value)).toThrow('invalid parameter "step"');
});
