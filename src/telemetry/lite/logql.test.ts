import { describe, expect, test } from "bun:test";
import { parseLogQuery, queryLogs } from "./logql";
import { LineStore } from "./logs";

function store() {
  const s = new LineStore(":memory:");
  const rl = { service: "rate-limiter", instance: "rl-0", stream: "stdout" };
  s.append({ ...rl, level: "info" }, '{"level":"info","msg":"listening"}', 1000);
  s.append({ ...rl, level: "info" }, '{"level":"info","msg":"denied","policy":"login"}', 2000);
  s.append(
    { ...rl, level: "error" },
    '{"level":"error","msg":"request failed","error":"redis timed out"}',
    3000,
  );
  s.append({ service: "harness", stream: "stderr" }, "plain text line with denied inside", 4000);
  return s;
}

describe("LogQL log queries on the embedded store", () => {
  test.each([
    ['{service="rate-limiter"}', 3],
    ['{service="rate-limiter"} |= "denied"', 1],
    ['{service=~".+"} |= "denied"', 2],
    ['{service="rate-limiter", level="error"}', 1],
    ['{service="rate-limiter"} != "listening" |~ "den(ied|y)"', 1],
    ['{service="rate-limiter"} !~ "level\\":\\"info"', 1],
    ['{stream="stderr"}', 1],
  ])("%s → %i lines", (q, n) => {
    expect(queryLogs(store(), q, 0, 10_000, 100).length).toBe(n);
  });

  test("newest first, limit and time range", () => {
    const lines = queryLogs(store(), '{service=~".+"}', 0, 10_000, 2);
    expect(lines.map((l) => l.t)).toEqual([4000, 3000]);
    expect(queryLogs(store(), '{service=~".+"}', 1500, 2500, 10).map((l) => l.t)).toEqual([2000]);
  });

  test.each([
    ['{service="x"} | json', /unsupported stage "\| json"|unsupported stage/],
    ['count_over_time({service="x"}[5m])', /metric queries/],
    ['{service=~".*"}', /at least one matcher/],
    ["{service=", /parse error/],
  ])("%s is a clear error", (q, message) => {
    expect(() => parseLogQuery(q)).toThrow(message);
  });
});
