import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type LabRun, parseLabRun, renderHtml, renderMarkdown } from "./report";
import { parseScenario, scenarios } from "./scenarios";

const run = (brain: { name: string; model: string }, passed: boolean): LabRun => ({
  schema: "harness.lab-run/v1",
  harness: "http://127.0.0.1:7070",
  brain,
  started_at: 1_000,
  finished_at: 90_000,
  results: [
    {
      scenario: { name: "hung-instance", description: "SIGSTOP <b>", expect: "RateLimiterDown" },
      window: { start: 10_000, end: 60_000 },
      score: {
        detected: true,
        time_to_detect_ms: 4_200,
        ticket_id: 3,
        resolved: passed,
        time_to_resolve_ms: passed ? 21_000 : null,
        human_interventions: 0,
        steps: 2,
        tokens: passed ? 1_234 : 0,
        cost_usd: 0.0123,
        actions_rolled_back: 0,
        error_budget_spent: 0.004,
        false_tickets: 0,
        unsafe_actions: 0,
      },
      passed,
      outcome: passed ? "passed" : "not_resolved",
      reason: passed ? "detected in 4 s" : "#3 was never fixed within resolve_within 60s: it ended failed",
      evidence: passed ? [] : ["+5 s pending → in_progress (claimed)", "+40 s give_up failed"],
      cleanup: [],
      series: [
        {
          title: "instances up",
          query: "sum(up)",
          points: [
            [0, 1],
            [10_000, 0],
            [30_000, 1],
          ],
        },
      ],
    },
  ],
});

describe("lab report", () => {
  test("a table per brain, in Markdown and in HTML with a chart per series", () => {
    const runs = [
      run({ name: "runbook", model: "runbook-v1" }, true),
      run({ name: "claude", model: "claude-sonnet-4-6" }, false),
    ];
    const md = renderMarkdown(runs);
    expect(md).toContain("## Brain: runbook");
    expect(md).toContain("## Brain: claude (claude-sonnet-4-6)");
    expect(md).toContain("1 of 1 scenarios passed.");
    expect(md).toContain("0 of 1 scenarios passed.");
    expect(md).toContain(
      "| hung-instance | yes | passed | yes | 4.2 s | #3 | yes | 21.0 s | 0 | 0 | 0.40 % | 0 | 2 | 1234 | $0.0123 | 0 |",
    );
    // A failed row says which stage failed, why, and the events that show it.
    expect(md).toContain("### hung-instance: not resolved\n\n#3 was never fixed within resolve_within 60s");
    expect(md).toContain("- +40 s give_up failed");
    const html = renderHtml(runs);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg class="chart"/g)?.length).toBe(2);
    expect(html).toContain("SIGSTOP &lt;b&gt;");
    expect(html).not.toContain("SIGSTOP <b>");
  });

  test("skipped rows count as neither passed nor failed; run files from before the verdict still read", () => {
    const r = run({ name: "runbook", model: "runbook-v1" }, true);
    const skippedRow = {
      ...(r.results[0] as LabRun["results"][number]),
      scenario: { name: "config-drift", description: "d", expect: "RateLimiterConfigDrift" },
      passed: false,
      outcome: "skipped" as const,
      reason: "needs 2 ready instances, the harness has 1 (set service.instances: 2)",
    };
    const md = renderMarkdown([{ ...r, results: [...r.results, skippedRow] }]);
    expect(md).toContain("1 of 1 scenarios passed (1 skipped).");
    expect(md).toContain("| config-drift | skipped | skipped |");
    expect(md).toContain("needs 2 ready instances");
    const old = JSON.parse(JSON.stringify(r));
    for (const k of ["outcome", "reason", "evidence", "cleanup"]) delete old.results[0][k];
    expect(parseLabRun(JSON.stringify(old), "old.json").results[0]).toMatchObject({
      reason: "",
      evidence: [],
    });
  });

  test("a run file round-trips; anything else is rejected with the reason", () => {
    const r = run({ name: "runbook", model: "runbook-v1" }, true);
    expect(parseLabRun(JSON.stringify(r), "run.json")).toEqual(r);
    expect(() => parseLabRun("{", "x.json")).toThrow(/x\.json is not JSON/);
    expect(() => parseLabRun(JSON.stringify({ ...r, schema: "other" }), "y.json")).toThrow(
      /y\.json is not a lab run: schema/,
    );
  });
});

describe("scenario files", () => {
  const dir = join(import.meta.dir, "scenarios");
  test("every file in src/lab/scenarios is built in, under its own name", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    expect(files.map((f) => f.replace(/\.yaml$/, "")).sort()).toEqual(scenarios.map((s) => s.name).sort());
    for (const f of files)
      expect(parseScenario(readFileSync(join(dir, f), "utf8"), f).name).toBe(f.replace(/\.yaml$/, ""));
    expect(scenarios.find((s) => s.name === "crash-loop-after-bad-config")?.fault).toMatchObject({
      kind: "bad_config",
      content: "default: { name: broken, capacity: -1, refill_per_second: 1 }\n",
    });
  });

  test("anomaly scenarios bring detectors that validate as the API would, and each expects its own", () => {
    for (const name of ["traffic-surge", "noisy-neighbour", "prompt-injection"]) {
      const s = scenarios.find((x) => x.name === name);
      const [a] = s?.rules?.anomalies ?? [];
      expect(a?.name).toBe(s?.expect.rule ?? "");
      expect(a).toMatchObject({ method: "mad", window: "10m", for: "10s" });
      expect(s?.fault).toMatchObject({ base_duration: "2m" });
    }
    const bad =
      "name: x\ndescription: d\nfault: { kind: none, duration: 1s }\nexpect: { rule: null, kind: null }\ndetect_within: 1s\nresolve_within: 1s\nrules: { anomalies: [{ name: a, query: q, min_change: -1 }] }\n";
    expect(() => parseScenario(bad, "my.yaml")).toThrow(/rules\.anomalies\.0\.min_change/);
  });

  test.each([
    ["name: x\n", /description/],
    [
      "name: x\ndescription: d\nfault: { kind: flood }\nexpect: { rule: null, kind: null }\ndetect_within: 1s\nresolve_within: 1s\n",
      /fault/,
    ],
    ["name: [\n", /not valid YAML/],
    [
      "name: x\ndescription: d\nfault: { kind: hang }\nexpect: { rule: null, kind: null }\ndetect_within: 1s\nresolve_within: 1s\nextra: 1\n",
      /extra/,
    ],
  ])("a bad scenario file is rejected naming the problem: %p", (text, message) => {
    expect(() => parseScenario(text, "my.yaml")).toThrow(message);
  });
});
