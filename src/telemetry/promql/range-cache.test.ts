import { expect, test } from "bun:test";
import type { Matcher, Series, SeriesQuerier } from "../types";
import { instantQuery, rangeQuery } from "./promql";
import { RangeCache } from "./range-cache";

/** A plain in-memory querier that counts how often it is asked. */
function memory(series: Series[]) {
  let calls = 0;
  const q: SeriesQuerier & { calls: () => number } = {
    select(ms: Matcher[], start: number, end: number) {
      calls++;
      return series
        .filter((s) => ms.every((m) => m.op !== "=" || s.labels[m.name] === m.value))
        .map((s) => ({ labels: s.labels, samples: s.samples.filter((x) => x.t >= start && x.t <= end) }))
        .filter((s) => s.samples.length > 0);
    },
    calls: () => calls,
  };
  return q;
}

const data: Series[] = [
  {
    labels: { __name__: "c", k: "a" },
    samples: Array.from({ length: 100 }, (_, i) => ({ t: i * 10_000, v: i })),
  },
  // A gap in the middle: windows that fall into it must come back empty.
  {
    labels: { __name__: "c", k: "b" },
    samples: Array.from({ length: 100 }, (_, i) => ({ t: i * 10_000, v: 2 * i })).filter(
      (s) => s.t < 300_000 || s.t > 600_000,
    ),
  },
];

test.each([
  [0, 60_000],
  [30_001, 90_000],
  [310_000, 590_000],
  [350_000, 360_000],
  [0, 990_000],
  [985_000, 2_000_000],
])("a window [%d, %d] answers exactly what the store would", (start, end) => {
  const store = memory(data);
  const cache = new RangeCache(store, 500_000);
  cache.select([{ name: "__name__", op: "=", value: "c" }], 0, 60_000);
  expect(cache.select([{ name: "__name__", op: "=", value: "c" }], start, end)).toEqual(
    store.select([{ name: "__name__", op: "=", value: "c" }], start, end),
  );
});

test("one read per selector for the whole range; a window outside it reads again", () => {
  const store = memory(data);
  const cache = new RangeCache(store, 300_000);
  const m: Matcher[] = [{ name: "k", op: "=", value: "a" }];
  for (let t = 100_000; t <= 400_000; t += 10_000) cache.select(m, t - 100_000, t);
  expect(store.calls()).toBe(1);
  cache.select(m, 0, 500_000);
  expect(store.calls()).toBe(2);
  cache.select([{ name: "k", op: "=", value: "b" }], 0, 1);
  expect(store.calls()).toBe(3);
});

test("a range query equals instant queries at each step", () => {
  const q = memory(data);
  const expr = 'sum by (k) (rate(c[1m])) * 2 + on (k) group_left count by (k) (c{k=~"a|b"})';
  const range = rangeQuery(q, expr, 100_000, 900_000, 20_000);
  expect(range.resultType).toBe("matrix");
  if (range.resultType !== "matrix") return;
  // Step by step, both ways: the same series with the same values, and nothing extra on either side.
  for (let t = 100_000; t <= 900_000; t += 20_000) {
    const inst = instantQuery(q, expr, t);
    const fromInstant =
      inst.resultType === "vector" ? inst.result.map((x) => `${x.labels.k}=${x.v}`).sort() : [];
    const fromRange = range.result
      .flatMap((s) => s.samples.filter((p) => p.t === t).map((p) => `${s.labels.k}=${p.v}`))
      .sort();
    expect(fromRange).toEqual(fromInstant);
  }
  expect(range.result.map((s) => s.labels.k).sort()).toEqual(["a", "b"]);
});
