import { expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { FastHistogram } from "./fast-histogram";

test("renders exactly what prom-client's Histogram renders for the same observations", async () => {
  const buckets = [0.0001, 0.001, 0.01, 0.1, 1];
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new FastHistogram("x_seconds", "help text", ["route", "code"], buckets, ours);
  const slow = new Histogram({
    name: "x_seconds",
    help: "help text",
    labelNames: ["route", "code"],
    buckets,
    registers: [theirs],
  });
  const samples: [string, string, number][] = [
    ["/a", "200", 0.00005],
    ["/a", "200", 0.0005],
    ["/a", "200", 0.5],
    ["/a", "200", 3],
    ["/b", "400", 0.001],
  ];
  for (const [route, code, v] of samples) {
    fast.labels({ route, code }).observe(v);
    slow.observe({ route, code }, v);
  }
  expect(await ours.metrics()).toBe(await theirs.metrics());
  ours.resetMetrics();
  expect(await ours.metrics()).not.toContain("x_seconds_count");
});
