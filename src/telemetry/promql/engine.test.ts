import { describe, expect, test } from "bun:test";
import { instantQuery, rangeQuery } from "./engine";
import { PromQLError } from "./errors";
import { MemoryQuerier } from "./memory-querier";
import { markStale } from "./stale";

const min = 60_000;

/** A counter `c{job="a"}` rising by 10 every minute from 0 to 100 and a gauge `g` with a stale marker. */
function fixture(): MemoryQuerier {
  const q = new MemoryQuerier();
  q.add(
    { __name__: "c", job: "a" },
    Array.from({ length: 11 }, (_, i) => ({ t: i * min, v: i * 10 })),
  );
  q.add({ __name__: "g" }, [{ t: 0, v: 1 }, { t: min, v: 2 }, markStale({ t: 2 * min, v: Number.NaN })]);
  return q;
}

const vectorValues = (r: ReturnType<typeof instantQuery>) =>
  r.resultType === "vector" ? r.result.map((s) => [s.labels, s.v]) : r;

describe("engine", () => {
  test("rate extrapolates like Prometheus and drops the metric name", () => {
    expect(vectorValues(instantQuery(fixture(), "rate(c[5m])", 10 * min))).toEqual([[{ job: "a" }, 10 / 60]]);
    expect(vectorValues(instantQuery(fixture(), "increase(c[5m])", 10 * min))).toEqual([[{ job: "a" }, 50]]);
  });

  test("a stale marker ends the series before the lookback runs out", () => {
    expect(vectorValues(instantQuery(fixture(), "g", 90_000))).toEqual([[{ __name__: "g" }, 2]]);
    expect(vectorValues(instantQuery(fixture(), "g", 3 * min))).toEqual([]);
  });

  test("lookbackDeltaMs bounds how old an instant sample may be", () => {
    const q = fixture();
    expect(vectorValues(instantQuery(q, "c", 14 * min))).toHaveLength(1);
    expect(vectorValues(instantQuery(q, "c", 14 * min, { lookbackDeltaMs: 2 * min }))).toEqual([]);
  });

  test("maxSamples guards memory", () => {
    expect(() => instantQuery(fixture(), "sum_over_time(c[10m])", 10 * min, { maxSamples: 5 })).toThrow(
      PromQLError,
    );
  });

  test("range queries return a matrix; a string result is an error", () => {
    const r = rangeQuery(fixture(), "c", 0, 2 * min, min);
    expect(r.resultType).toBe("matrix");
    expect(r.resultType === "matrix" && r.result[0]?.samples.map((s) => s.v)).toEqual([0, 10, 20]);
    expect(() => rangeQuery(fixture(), '"s"', 0, min, min)).toThrow(PromQLError);
  });

  test("scalar literals and string results of instant queries", () => {
    expect(instantQuery(fixture(), "1 + 2 * 3 ^ 2", 0)).toEqual({
      resultType: "scalar",
      result: { t: 0, v: 19 },
    });
    expect(instantQuery(fixture(), '"hi"', 5)).toEqual({ resultType: "string", result: { t: 5, v: "hi" } });
  });

  test("vector matching errors", () => {
    const q = new MemoryQuerier();
    q.add({ __name__: "a", x: "1", y: "1" }, [{ t: 0, v: 1 }]);
    q.add({ __name__: "a", x: "1", y: "2" }, [{ t: 0, v: 1 }]);
    q.add({ __name__: "b", x: "1" }, [{ t: 0, v: 1 }]);
    expect(() => instantQuery(q, "b + on(x) a", 0)).toThrow("many-to-many matching not allowed");
    expect(vectorValues(instantQuery(q, "a + on(x) group_left b", 0))).toHaveLength(2);
  });
});
