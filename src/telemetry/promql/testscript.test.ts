import { expect, test } from "bun:test";
import { runTestScript } from "./testscript";
import { ScriptData } from "./testscript-data";
import { parseTestScript, STALE } from "./testscript-parse";

test("a script's loads, clears and evals run over the metric store", () => {
  const results = runTestScript(`
load 1m
  up{job="a"} 1 2 stale 4
  up{job="b", zone=""} 5x3

eval instant at 1m up
  up{job="a"} 2
  up{job="b"} 5

# the stale marker hides job a at 2m
eval instant at 2m up
  up{job="b"} 5

eval range from 0 to 3m step 1m up{job="a"}
  up{job="a"} 1 2 _ 4

clear

eval instant at 1m up
`);
  expect(results.map((r) => [r.line, r.status, r.reason])).toEqual([
    [6, "passed", undefined],
    [11, "passed", undefined],
    [14, "passed", undefined],
    [19, "passed", undefined],
  ]);
});

test("a wrong answer, an expected failure and an unreadable eval are told apart", () => {
  const results = runTestScript(`
load 1m
  m 1

eval instant at 0 m
  m 2

eval instant at 0 rate(m)
  expect fail regex: range vector

eval instant at 0 sum(
  expect fail

eval instant at 0 m
  {not a series

eval soon m
`);
  expect(results.map((r) => [r.line, r.status])).toEqual([
    [5, "failed"],
    [8, "passed"],
    [11, "passed"],
    [14, "failed"],
    [17, "failed"],
  ]);
  expect(results[0]?.reason).toBe('series {"__name__":"m"}: expected 2, got 1');
  expect(results[4]?.reason).toBe("cannot parse eval line");
});

test("the parser keeps an eval's unreadable expectations as a value, for the runner to report", () => {
  const [load, ev] = parseTestScript("load 30s\n  m 1 stale _ 2\neval instant at 1x m\n  m{ 1\n");
  expect(load).toMatchObject({ kind: "load", step: 30_000 });
  expect(load?.kind === "load" && load.series[0]?.values).toEqual([1, STALE, null, 2]);
  expect(ev?.kind === "eval" && ev.query.kind).toBe("invalid");
  expect(ev?.kind === "eval" && ev.outputs instanceof Error).toBe(true);
});

test("a selection that covers a native-histogram point is flagged, so its eval is skipped", () => {
  const data = new ScriptData();
  try {
    const [load] = parseTestScript("load 1m\n  h {{count:1}} 2\n");
    if (load?.kind !== "load") throw new Error("no load");
    for (const s of load.series) data.load(s.labels, s.values, load.step);
    const name = [{ name: "__name__", op: "=", value: "h" }] as const;
    expect(data.select([...name], 60_000, 60_000)).toEqual([
      { labels: { __name__: "h" }, samples: [{ t: 60_000, v: 2 }] },
    ]);
    expect(data.touchedHistogram).toBe(false);
    data.select([...name], 0, 0);
    expect(data.touchedHistogram).toBe(true);
  } finally {
    data.close();
  }
});
