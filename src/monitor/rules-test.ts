import { z } from "zod";
import { createCore } from "../core";
import { openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { describeZodIssues, invalid } from "../lib/errors";
import { RuleFile } from "../rules/rule-files";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery, rangeQuery } from "../telemetry/promql/promql";
import { expandValues, parseSeriesDesc } from "../telemetry/promql/testscript";
import type { MetricsBackend } from "../telemetry/types";
import { createMonitor } from "./monitor";

// `harness rules test`: unit tests for our rules in the spirit of `promtool test rules`.
const TestFile = z.object({
  rule_files: z.array(z.string()).default([]),
  rules: RuleFile.optional(),
  evaluation_interval: z.string().default("1m"),
  tests: z
    .array(
      z.object({
        name: z.string().optional(),
        interval: z.string().optional(),
        input_series: z.array(z.object({ series: z.string(), values: z.string() })).default([]),
        ticket_test: z
          .array(
            z.object({
              eval_time: z.string(),
              exp_tickets: z
                .array(
                  z.object({
                    source: z.string().optional(),
                    rule: z.string().optional(),
                    priority: z.string().optional(),
                    labels: z.record(z.string(), z.string()).optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .min(1, "tests must list at least one test"),
});

export interface RulesTestResult {
  name: string;
  passed: boolean;
  failures: string[];
}

/** Runs one test file; `readFile` resolves `rule_files` relative to the test file. */
export async function runRulesTests(
  text: string,
  readFile: (path: string) => string,
): Promise<RulesTestResult[]> {
  let raw: unknown;
  try {
    raw = Bun.YAML.parse(text);
  } catch (err) {
    throw invalid(`test file is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = TestFile.safeParse(raw);
  if (!parsed.success) throw invalid(`invalid rules test file: ${describeZodIssues(parsed.error.issues)}`);
  const file = parsed.data;
  const rules = [file.rules ?? { slos: [], invariants: [], anomalies: [] }];
  for (const path of file.rule_files) {
    const r = RuleFile.safeParse(Bun.YAML.parse(readFile(path)));
    if (!r.success) throw invalid(`invalid rule file ${path}: ${describeZodIssues(r.error.issues)}`);
    rules.push(r.data);
  }
  const evalEvery = parseDuration(file.evaluation_interval);
  const results: RulesTestResult[] = [];
  for (const [i, t] of file.tests.entries()) {
    const clock = new FakeClock(0);
    const core = createCore(openDatabase(":memory:"), clock);
    for (const r of rules) {
      for (const s of r.slos) core.rules.createSlo(s);
      for (const inv of r.invariants) core.rules.createInvariant(inv);
      for (const a of r.anomalies) core.anomalies.create(a);
    }
    const store = new MetricStore(":memory:");
    const step = parseDuration(t.interval ?? file.evaluation_interval);
    for (const s of t.input_series) {
      const labels = parseSeriesDesc(s.series);
      const samples: { labels: typeof labels; t: number; v: number }[] = [];
      expandValues(s.values).forEach((v, k) => {
        if (typeof v === "number") samples.push({ labels, t: k * step, v });
      });
      store.append(samples);
    }
    const metrics: MetricsBackend = {
      kind: "embedded",
      instantQuery: async (e, at) => instantQuery(store, e, at),
      rangeQuery: async (e, a, b, st) => rangeQuery(store, e, a, b, st),
    };
    const monitor = createMonitor({
      core,
      metrics,
      intervalMs: evalEvery,
      verificationTimeoutMs: 3_600_000,
      maxAttempts: 3,
      log: () => {},
    });
    const failures: string[] = [];
    const checks = [...t.ticket_test].sort((a, b) => parseDuration(a.eval_time) - parseDuration(b.eval_time));
    let now = 0;
    for (const c of checks) {
      const until = parseDuration(c.eval_time);
      for (; now <= until; now += evalEvery) {
        clock.set(now);
        await monitor.tick();
      }
      const open = core.tickets.list({
        status: ["pending", "in_progress", "awaiting_approval", "verifying"],
        limit: 500,
      }).items;
      const got = open.map((tk) => {
        const rule = (tk.context.rule as { name?: string } | undefined)?.name ?? tk.source_ref ?? "";
        const obs = tk.observation_id ? core.observations.get(tk.observation_id) : null;
        return { source: tk.source, rule, priority: tk.priority, labels: obs?.labels ?? {} };
      });
      const unmatched = [...got];
      for (const exp of c.exp_tickets) {
        const idx = unmatched.findIndex(
          (g) =>
            (exp.source === undefined || g.source === exp.source) &&
            (exp.rule === undefined || g.rule === exp.rule) &&
            (exp.priority === undefined || g.priority === exp.priority) &&
            Object.entries(exp.labels ?? {}).every(([k, v]) => g.labels[k] === v),
        );
        if (idx < 0)
          failures.push(
            `at ${c.eval_time}: expected ticket ${JSON.stringify(exp)}, open: ${JSON.stringify(got)}`,
          );
        else unmatched.splice(idx, 1);
      }
      for (const extra of unmatched)
        failures.push(`at ${c.eval_time}: unexpected ticket ${JSON.stringify(extra)}`);
    }
    results.push({ name: t.name ?? `test ${i + 1}`, passed: failures.length === 0, failures });
    store.close();
  }
  return results;
}
