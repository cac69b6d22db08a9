import type { Labels, Matcher, QueryResult, Sample, Series } from "../types";
import { type EngineOptions, instantQueryAnnotated, rangeQueryAnnotated } from "./engine";
import { fingerprint, MemoryQuerier, matchesLabel } from "./memory-querier";
import { markStale, StaleNaN } from "./stale";
import { checkAnnotations, compare, compareString, type Expected, mentions } from "./testscript-compare";
import {
  expandValues,
  expectValues,
  HIST,
  parseDurationMs,
  parseSeriesDesc,
  STALE,
  splitSeriesLine,
} from "./testscript-values";

// Runner for Prometheus's PromQL test-script format (load / clear / eval, FORMAT.md in promql-conformance).

export interface CaseResult {
  line: number;
  expr: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
}

/** The script's data, plus the times of native-histogram points (out of scope) to skip evals reading them. */
class MemoryData extends MemoryQuerier {
  private histograms = new Map<string, { labels: Labels; times: number[] }>();
  touchedHistogram = false;
  override clear(): void {
    super.clear();
    this.histograms.clear();
  }
  addHistogramTimes(labels: Labels, times: number[]): void {
    const key = fingerprint(labels);
    const e = this.histograms.get(key) ?? { labels, times: [] };
    e.times.push(...times);
    this.histograms.set(key, e);
  }
  override select(matchers: Matcher[], start: number, end: number): Series[] {
    for (const h of this.histograms.values())
      if (
        matchers.every((m) => matchesLabel(m, h.labels[m.name] ?? "")) &&
        h.times.some((t) => t >= start && t <= end)
      )
        this.touchedHistogram = true;
    return super.select(matchers, start, end);
  }
}

/** One command of a test script, with the 1-based line it starts on. */
export type TestCommand =
  | { kind: "clear"; line: number }
  | {
      kind: "load";
      line: number;
      intervalMs: number;
      /** load_with_nhcb: classic histograms also become native ones (out of scope). */
      nhcb: boolean;
      series: { labels: Labels; samples: Sample[]; histogramTimes: number[] }[];
    }
  | {
      kind: "eval";
      line: number;
      expr: string;
      /** Instant evaluation time, or the range of a range query. */
      at?: number;
      range?: { start: number; end: number; step: number };
      /** The `eval_fail`/`eval_warn`/`eval_info`/`eval_ordered` suffix, if any. */
      legacy?: string;
      expects: string[];
      outputs: string[];
    }
  | { kind: "invalid"; line: number; text: string; reason: string };

/** Splits a script into commands; values are expanded, expressions are left as text. */
export function parseTestScript(text: string): TestCommand[] {
  const lines = text.split("\n");
  const out: TestCommand[] = [];
  let i = 0;
  const block = () => {
    const body: string[] = [];
    while (i < lines.length && /^\s+\S/.test(lines[i] as string)) {
      const l = (lines[i] as string).trim();
      if (!l.startsWith("#")) body.push(l);
      i++;
    }
    // Some files put expectation lines without indentation right after eval.
    while (
      i < lines.length &&
      /^(expect |[{a-zA-Z_:][^ ]*[ \t]+[-+\d._a-zA-Z{])/.test(lines[i] as string) &&
      !/^(load|eval|clear)\b/.test(lines[i] as string)
    ) {
      body.push((lines[i] as string).trim());
      i++;
    }
    return body;
  };
  while (i < lines.length) {
    const line = (lines[i] as string).trim();
    const lineNo = ++i;
    if (line === "" || line.startsWith("#")) continue;
    if (line === "clear") {
      out.push({ kind: "clear", line: lineNo });
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)/.exec(line);
    if (load) {
      const step = parseDurationMs(load[2] as string);
      const series = block().map((l) => {
        const [desc, vals] = splitSeriesLine(l);
        const samples: Sample[] = [];
        const histogramTimes: number[] = [];
        expandValues(vals).forEach((v, k) => {
          if (v === STALE) samples.push(markStale({ t: k * step, v: StaleNaN }));
          else if (v === HIST) histogramTimes.push(k * step);
          else if (v !== null) samples.push({ t: k * step, v });
        });
        return { labels: parseSeriesDesc(desc), samples, histogramTimes };
      });
      out.push({ kind: "load", line: lineNo, intervalMs: step, nhcb: load[1] !== undefined, series });
      continue;
    }
    const ev =
      /^eval(?:_(fail|warn|info|ordered))?\s+(instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.+)$/.exec(
        line,
      );
    if (!ev) {
      out.push({ kind: "invalid", line: lineNo, text: line, reason: "cannot parse command" });
      continue;
    }
    const body = block();
    out.push({
      kind: "eval",
      line: lineNo,
      expr: ev[7] as string,
      ...(ev[4] === undefined
        ? { at: parseDurationMs(ev[3] as string) }
        : {
            range: {
              start: parseDurationMs(ev[4]),
              end: parseDurationMs(ev[5] as string),
              step: parseDurationMs(ev[6] as string),
            },
          }),
      ...(ev[1] ? { legacy: ev[1] } : {}),
      expects: body.filter((b) => b.startsWith("expect ")),
      outputs: body.filter((b) => !b.startsWith("expect ")),
    });
  }
  return out;
}

/** `expect fail msg: ...` / `expect fail regex: ...` against the error; null when it matches. */
function checkFailure(expects: string[], message: string): string | null {
  for (const e of expects) {
    const m = /^expect fail\s+(msg|regex):\s?(.*)$/.exec(e);
    if (!m) continue;
    const raw = (m[2] ?? "").trim();
    const want = /^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
    // Runtime errors carry the position of the failing node; Prometheus's own messages do not.
    const msg = message.replace(/^\d+:\d+: (?!parse error)/, "");
    const ok = m[1] === "msg" ? msg === want || message === want : new RegExp(want).test(message);
    if (!ok) return `expected error ${m[1]} ${JSON.stringify(want)}, got ${JSON.stringify(message)}`;
  }
  return null;
}

/** Runs a whole test script; every eval becomes one case. */
export function runTestScript(text: string, opts?: EngineOptions): CaseResult[] {
  const data = new MemoryData();
  const histogramMetrics = new Set<string>();
  const results: CaseResult[] = [];
  for (const cmd of parseTestScript(text)) {
    if (cmd.kind === "clear") {
      data.clear();
      histogramMetrics.clear();
      continue;
    }
    if (cmd.kind === "invalid") {
      if (cmd.text.startsWith("eval"))
        results.push({ line: cmd.line, expr: cmd.text, status: "failed", reason: cmd.reason });
      continue;
    }
    if (cmd.kind === "load") {
      for (const s of cmd.series) {
        // load_with_nhcb also creates a native histogram named after the classic family (out of scope).
        const name = s.labels.__name__;
        if (cmd.nhcb && name?.endsWith("_bucket")) histogramMetrics.add(name.slice(0, -7));
        data.add(s.labels, s.samples);
        if (s.histogramTimes.length) data.addHistogramTimes(s.labels, s.histogramTimes);
      }
      continue;
    }
    results.push(runEval(data, cmd, histogramMetrics, opts));
  }
  return results;
}

function runEval(
  data: MemoryData,
  cmd: Extract<TestCommand, { kind: "eval" }>,
  histogramMetrics: Set<string>,
  opts: EngineOptions | undefined,
): CaseResult {
  const { expr, expects, outputs, legacy, line } = cmd;
  const wantFail = legacy === "fail" || expects.some((e) => /^expect fail/.test(e));
  const ordered = legacy === "ordered" || expects.includes("expect ordered");
  const skipped = (reason: string): CaseResult => ({ line, expr, status: "skipped", reason });
  const failed = (reason: string): CaseResult => ({ line, expr, status: "failed", reason });
  if (outputs.some((o) => o.includes("{{")) || [...histogramMetrics].some((m) => mentions(expr, m)))
    return skipped("native histograms are out of scope");
  const wantString = expects.map((e) => /^expect string\s+(.*)$/.exec(e)).find((m) => m !== null);
  const wantRange = expects
    .map((e) => /^expect range vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(e))
    .find((m) => m !== null);
  data.touchedHistogram = false;
  const histogramSkip = "reads native histogram samples, which are out of scope";
  let annotated: { result: QueryResult; annotations: string[] };
  try {
    annotated = cmd.range
      ? rangeQueryAnnotated(data, expr, cmd.range.start, cmd.range.end, cmd.range.step, opts)
      : instantQueryAnnotated(data, expr, cmd.at ?? 0, opts);
  } catch (err) {
    if (data.touchedHistogram) return skipped(histogramSkip);
    if (!wantFail) return failed((err as Error).message);
    const problem = checkFailure(expects, (err as Error).message);
    return problem ? failed(problem) : { line, expr, status: "passed" };
  }
  if (data.touchedHistogram) return skipped(histogramSkip);
  if (wantFail) return failed("expected the query to fail");
  const annotationProblem = checkAnnotations(annotated.annotations, expects, legacy);
  if (annotationProblem) return failed(annotationProblem);
  const expected: Expected[] = outputs.map((o) => {
    if (/^[-+]?(\d|Inf|NaN|\.)/i.test(o) && !o.includes("{"))
      return { labels: null, values: expectValues(o) };
    const [desc, vals] = splitSeriesLine(o);
    return { labels: parseSeriesDesc(desc), values: expectValues(vals) };
  });
  const steps = cmd.range
    ? { start: cmd.range.start, step: cmd.range.step }
    : wantRange
      ? { start: parseDurationMs(wantRange[1] as string), step: parseDurationMs(wantRange[3] as string) }
      : null;
  const result = annotated.result;
  const problem = wantString
    ? compareString(result, wantString[1] as string)
    : wantRange && result.resultType !== "matrix"
      ? `expected a range vector, got ${result.resultType}`
      : compare(result, expected, ordered, steps);
  return problem ? failed(problem) : { line, expr, status: "passed" };
}
