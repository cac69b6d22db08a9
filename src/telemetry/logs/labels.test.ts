import { describe, expect, test } from "bun:test";
import { labelsForLine } from "./labels";

const base = { service: "api", instance: "a1", version: "v1", stream: "stdout" };

describe("labelsForLine", () => {
  test.each([
    ['{"level":"error","msg":"x"}', { ...base, level: "error" }],
    ['{"level":"WARN"}', { ...base, level: "WARN" }],
    ['  {"level":"info"}', { ...base, level: "info" }],
    ['{"level":3}', base],
    ['{"msg":"no level"}', base],
    ["plain text level=error", base],
    ["{not json", base],
    ['["level"]', base],
    ["", base],
  ])("%p", (line, want) => {
    expect(labelsForLine(base, line)).toEqual(want);
  });

  test("does not mutate the base labels", () => {
    const b = { ...base };
    labelsForLine(b, '{"level":"error"}');
    expect(b).toEqual(base);
  });
});
