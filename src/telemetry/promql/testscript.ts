import type { QueryResult } from "../types";
import { instantQueryAnnotated, rangeQueryAnnotated } from "./promql";
import { failureMatches, judgeAnswer } from "./testscript-compare";
import { ScriptData } from "./testscript-data";
import { type EvalCommand, parseTestScript, type Query } from "./testscript-parse";

// Runner for Prometheus's PromQL test-script format (load / clear / eval, FORMAT.md in promql-conformance):
// the parser reads the script, the loads go into a real metric store, the comparison judges each eval.

export { expandValues, parseDurationMs, parseSeriesDesc } from "./testscript-parse";

export interface CaseResult {
  line: number;
  expr: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
}

const histogramSkip = "reads native histogram samples, which are out of scope";

/** Whether `expr` names metric `m` as a whole identifier (so `h` does not match `h_bucket`). */
function mentions(expr: string, m: string): boolean {
  const esc = m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-zA-Z0-9_:])${esc}($|[^a-zA-Z0-9_:])`).test(expr);
}

function evaluate(data: ScriptData, expr: string, q: Query): { result: QueryResult; annotations: string[] } {
  if (q.kind === "invalid") throw q.error;
  if (q.kind === "range") return rangeQueryAnnotated(data, expr, q.start, q.end, q.step);
  return instantQueryAnnotated(data, expr, q.at);
}

/** One eval over the loaded data: passed, failed (with the reason) or skipped (out of scope). */
function runEval(data: ScriptData, cmd: EvalCommand, histogramMetrics: Set<string>): CaseResult {
  const { line, expr } = cmd;
  const failed = (reason: string): CaseResult => ({ line, expr, status: "failed", reason });
  const skipped = (reason: string): CaseResult => ({ line, expr, status: "skipped", reason });
  if (cmd.histogramOutputs || [...histogramMetrics].some((m) => mentions(expr, m)))
    return skipped("native histograms are out of scope");
  data.touchedHistogram = false;
  try {
    const answer = evaluate(data, expr, cmd.query);
    if (data.touchedHistogram) return skipped(histogramSkip);
    if (cmd.wantFail) return failed("expected the query to fail");
    const problem = judgeAnswer(cmd, answer);
    return problem ? failed(problem) : { line, expr, status: "passed" };
  } catch (err) {
    // Prometheus's fail expectations match the error without its position.
    const message = (err as Error).message.replace(/^\d+:\d+: /, "");
    if (data.touchedHistogram) return skipped(histogramSkip);
    if (cmd.wantFail && !failureMatches(cmd, message))
      return failed(`failed with "${message}", expected ${cmd.failSpec?.line}`);
    if (cmd.wantFail) return { line, expr, status: "passed" };
    return failed((err as Error).message);
  }
}

/** Runs a whole test script; every eval becomes one case. */
export function runTestScript(text: string): CaseResult[] {
  const commands = parseTestScript(text);
  const data = new ScriptData();
  // load_with_nhcb also creates a native histogram named after each classic family (out of scope).
  const histogramMetrics = new Set<string>();
  const results: CaseResult[] = [];
  try {
    for (const cmd of commands) {
      if (cmd.kind === "clear") {
        data.clear();
        histogramMetrics.clear();
      } else if (cmd.kind === "load") {
        for (const { labels, values } of cmd.series) {
          if (cmd.nhcb && labels.__name__?.endsWith("_bucket"))
            histogramMetrics.add(labels.__name__.slice(0, -7));
          data.load(labels, values, cmd.step);
        }
      } else if (cmd.kind === "bad_eval")
        results.push({ line: cmd.line, expr: cmd.text, status: "failed", reason: "cannot parse eval line" });
      else results.push(runEval(data, cmd, histogramMetrics));
    }
  } finally {
    data.close();
  }
  return results;
}
