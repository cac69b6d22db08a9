import { expect, test } from "bun:test";
import { Counter, Registry } from "prom-client";
import { FastCounter } from "./fast-counter";

test("renders exactly what prom-client's Counter renders for the same increments", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new FastCounter("x_total", "help text", ["policy", "decision"], ours);
  const slow = new Counter({
    name: "x_total",
    help: "help text",
    labelNames: ["policy", "decision"],
    registers: [theirs],
  });
  const incs: [string, string, number][] = [
    ["default", "allowed", 1],
    ["default", "allowed", 1],
    ["default", "denied", 3],
    ['we"ird\\name', "allowed", 0.5],
  ];
  for (const [policy, decision, by] of incs) {
    fast.labels({ policy, decision }).inc(by);
    slow.inc({ policy, decision }, by);
  }
  expect(await ours.metrics()).toBe(await theirs.metrics());
  // A kept child goes on counting; a negative increment is ignored rather than making the counter go down.
  const child = fast.labels({ policy: "default", decision: "denied" });
  child.inc();
  child.inc(-5);
  expect(await ours.metrics()).toContain('x_total{policy="default",decision="denied"} 4');
  ours.resetMetrics();
  expect(await ours.metrics()).not.toContain("x_total{");
});
