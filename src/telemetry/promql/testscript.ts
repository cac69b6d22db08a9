import { prometheusDuration, readDuration } from "../../lib/duration";
import { matchesLabel } from "../matchers";
import type { Labels, Matcher, QueryResult, Sample } from "../types";
import { instantQueryAnnotated, rangeQueryAnnotated } from "./promql";
import { markStale } from "./promql-stale";
import { fingerprint } from "./series-util";

/** Marks a `stale` token in expanded values; the sample becomes a registered stale marker. */
const STALE = Symbol("stale");
/** Marks a native-histogram point (out of scope): only its timestamp is kept, to skip evals that read it. */
const HIST = Symbol("histogram");

/** Replaces `{{...}}`, `{{...}}xN` and `{{...}}+{{...}}xN` with placeholder tokens expandValues understands. */
const histogramTokens = (vals: string) =>
  vals.replace(/\{\{[^}]*\}\}(?:[-+]\{\{[^}]*\}\})?(?:x(\d+))?/g, (_m, n?: string) =>
    n ? `__Hx${n}` : "__H",
  );

// Runner for Prometheus's PromQL test-script format (load / clear / eval, FORMAT.md in promql-conformance).

export interface CaseResult {
  line: number;
  expr: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
}

/** Times and steps of a script (`at 5m`, `load 1m`, `step 30s`) as promqltest reads them: model.ParseDuration. */
export function parseDurationMs(text: string): number {
  const ms = readDuration(text, prometheusDuration);
  if (ms === null) throw new Error(`invalid duration "${text}"`);
  return ms;
}

function parseNumber(s: string): number {
  const t = s.replace(/^\+/, "");
  if (/^-?inf$/i.test(t)) return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  const v = Number(t);
  if (t === "" || Number.isNaN(v)) throw new Error(`invalid number "${s}"`);
  return v;
}

/** promtool's expanding notation: `1 2+3x2 _ stale 5x3 -2-1x2 _x4`. `null` = no sample. */
export function expandValues(text: string): (number | null | typeof STALE | typeof HIST)[] {
  const out: (number | null | typeof STALE | typeof HIST)[] = [];
  for (const tok of histogramTokens(text).trim().split(/\s+/).filter(Boolean)) {
    if (tok === "_") out.push(null);
    else if (tok === "__H") out.push(HIST);
    else if (/^__Hx\d+$/.test(tok)) for (let i = 0; i <= Number(tok.slice(4)); i++) out.push(HIST);
    else if (tok === "stale") out.push(STALE);
    else if (/^_x\d+$/.test(tok)) for (let i = 0; i < Number(tok.slice(2)); i++) out.push(null);
    else {
      const m = /^([-+]?(?:[\d.]+(?:e[-+]?\d+)?|Inf|NaN))(?:([-+])([\d.]+(?:e[-+]?\d+)?))?x(\d+)$/i.exec(tok);
      if (m) {
        const start = parseNumber(m[1] as string);
        const step = m[2] ? (m[2] === "-" ? -1 : 1) * Number(m[3]) : 0;
        const n = Number(m[4]);
        for (let i = 0; i <= n; i++) out.push(start + step * i);
      } else out.push(parseNumber(tok));
    }
  }
  return out;
}

/** Expected points: a stale marker in an expectation means no value at that step. */
const expectValues = (text: string): (number | null)[] =>
  expandValues(text).map((v) => (v === STALE || v === HIST ? null : v));

/** `metric{a="b"}` or `{__name__="m", a="b"}` into labels. */
export function parseSeriesDesc(text: string): Labels {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?$/.exec(text.trim());
  if (!m) throw new Error(`invalid series "${text}"`);
  const labels: Labels = m[1] ? { __name__: m[1] } : {};
  const body = m[2] ?? "";
  const re =
    /\s*("(?:[^"\\]|\\.)*"|[a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))?\s*,?/gy;
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const p = re.exec(body);
    if (!p || p[0].length === 0) throw new Error(`invalid labels in "${text}"`);
    pos = re.lastIndex;
    const name = (p[1] as string).startsWith('"') ? JSON.parse(p[1] as string) : (p[1] as string);
    if (p[2] === undefined) labels.__name__ = name;
    else labels[name] = p[2].startsWith("'") ? p[2].slice(1, -1) : JSON.parse(p[2]);
  }
  return labels;
}

/** Splits `series values` where the series may contain spaces inside braces or quotes. */
function splitSeriesLine(line: string): [string, string] {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (/\s/.test(c as string) && depth === 0) return [line.slice(0, i), line.slice(i + 1)];
  }
  return [line, ""];
}

class MemoryData {
  private series = new Map<string, { labels: Labels; samples: Sample[] }>();
  /** Timestamps of native-histogram points per series; reading one makes the eval out of scope. */
  private histograms = new Map<string, { labels: Labels; times: number[] }>();
  touchedHistogram = false;
  clear(): void {
    this.series.clear();
    this.histograms.clear();
  }
  addHistogramTimes(labels: Labels, times: number[]): void {
    const key = fingerprint(labels);
    const e = this.histograms.get(key) ?? { labels, times: [] };
    e.times.push(...times);
    this.histograms.set(key, e);
  }
  add(labels: Labels, samples: Sample[]): void {
    const key = fingerprint(labels);
    const e = this.series.get(key) ?? { labels, samples: [] };
    e.samples.push(...samples);
    e.samples.sort((a, b) => a.t - b.t);
    this.series.set(key, e);
  }
  select(matchers: Matcher[], start: number, end: number) {
    const ok = (labels: Labels) => matchers.every((m) => matchesLabel(m, labels[m.name]));
    for (const h of this.histograms.values())
      if (ok(h.labels) && h.times.some((t) => t >= start && t <= end)) this.touchedHistogram = true;
    return [...this.series.values()]
      .filter((s) => ok(s.labels))
      .map((s) => ({ labels: s.labels, samples: s.samples.filter((x) => x.t >= start && x.t <= end) }))
      .filter((s) => s.samples.length > 0);
  }
}

const close = (a: number, b: number) => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-12;
};

interface Expected {
  labels: Labels | null;
  values: (number | null)[];
}

/** For range queries: the timestamps of the steps, so a `_` in the expectation must be a missing step. */
interface Steps {
  start: number;
  step: number;
}

function compare(
  result: QueryResult,
  expected: Expected[],
  ordered: boolean,
  range: Steps | null,
): string | null {
  if (result.resultType === "scalar") {
    const e = expected[0];
    if (expected.length !== 1 || !e || e.labels !== null)
      return `expected a vector, got scalar ${result.result.v}`;
    return close(result.result.v, e.values[0] ?? Number.NaN)
      ? null
      : `expected ${e.values[0]}, got ${result.result.v}`;
  }
  if (result.resultType === "string") return "unexpected string result";
  const got: { labels: Labels; samples: Sample[] }[] =
    result.resultType === "vector"
      ? result.result.map((s) => ({ labels: s.labels, samples: [{ t: s.t, v: s.v }] }))
      : result.result.map((s) => ({ labels: s.labels, samples: s.samples }));
  if (got.length !== expected.length)
    return `expected ${expected.length} series, got ${got.length}: ${got.map((g) => JSON.stringify(g.labels)).join(" ")}`;
  const byKey = new Map(got.map((g, i) => [fingerprint(g.labels), { g, i }]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as Expected;
    const hit = byKey.get(fingerprint(e.labels ?? {}));
    if (!hit) return `missing series ${JSON.stringify(e.labels)}`;
    if (ordered && hit.i !== i) return `series ${JSON.stringify(e.labels)} out of order`;
    const gotSamples = hit.g.samples;
    if (range) {
      const want = new Map<number, number>();
      e.values.forEach((v, k) => {
        if (v !== null) want.set(range.start + k * range.step, v);
      });
      const gotMap = new Map(gotSamples.map((x) => [x.t, x.v]));
      const ok =
        want.size === gotMap.size &&
        [...want].every(([t, v]) => gotMap.has(t) && close(v, gotMap.get(t) as number));
      if (!ok) {
        const shown = e.values.map((_, k) => gotMap.get(range.start + k * range.step) ?? null);
        return `series ${JSON.stringify(e.labels)}: expected ${JSON.stringify(e.values)}, got ${JSON.stringify(shown)}${gotMap.size > shown.filter((x) => x !== null).length ? " (+ extra steps)" : ""}`;
      }
    } else {
      const want = e.values.find((v) => v !== null) ?? Number.NaN;
      if (!close(want, gotSamples[0]?.v as number))
        return `series ${JSON.stringify(e.labels)}: expected ${want}, got ${gotSamples[0]?.v}`;
    }
  }
  return null;
}

/** `expect string "..."` (or a backquoted raw string) against a string result. */
function compareString(result: QueryResult, quoted: string): string | null {
  const q = quoted.trim();
  const want = q.startsWith("`") ? q.slice(1, -1) : (JSON.parse(q) as string);
  if (result.resultType !== "string") return `expected string ${q}, got ${result.resultType}`;
  return result.result.v === want ? null : `expected string ${q}, got ${JSON.stringify(result.result.v)}`;
}

/** Checks `expect warn|info|no_warn|no_info [msg|regex: ...]` lines against the engine's annotations. */
function checkAnnotations(got: string[], expects: string[], legacy: string | undefined): string | null {
  for (const kind of ["warn", "info"] as const) {
    const prefix = kind === "warn" ? "PromQL warning: " : "PromQL info: ";
    const mine = got.filter((a) => a.startsWith(prefix));
    const lines = expects
      .map((e) => new RegExp(`^expect ${kind}(?:\\s+(msg|regex):\\s?(.*))?$`).exec(e))
      .filter((m): m is RegExpExecArray => m !== null);
    if (legacy === kind && mine.length === 0) return `expected a ${kind} annotation, got none`;
    if (expects.includes(`expect no_${kind}`) && mine.length > 0)
      return `expected no ${kind}, got ${mine.join("; ")}`;
    const matches = (m: RegExpExecArray, a: string) =>
      m[1] === undefined ? true : m[1] === "msg" ? a === (m[2] ?? "").trim() : new RegExp(m[2] ?? "").test(a);
    for (const m of lines)
      if (!mine.some((a) => matches(m, a)))
        return `expected ${m[0]}, got ${mine.join("; ") || "no annotation"}`;
    if (lines.length > 0) {
      const stray = mine.find((a) => !lines.some((m) => matches(m, a)));
      if (stray) return `unexpected ${kind}: ${stray}`;
    }
  }
  return null;
}

/** Whether `expr` names metric `m` as a whole identifier (so `h` does not match `h_bucket`). */
function mentions(expr: string, m: string): boolean {
  const esc = m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-zA-Z0-9_:])${esc}($|[^a-zA-Z0-9_:])`).test(expr);
}

/** Runs a whole test script; every eval becomes one case. */
export function runTestScript(text: string): CaseResult[] {
  const data = new MemoryData();
  const histogramMetrics = new Set<string>();
  const lines = text.split("\n");
  const results: CaseResult[] = [];
  let i = 0;
  const block = () => {
    const out: { line: string; n: number }[] = [];
    while (i < lines.length && /^\s+\S/.test(lines[i] as string) === true) {
      const l = (lines[i] as string).trim();
      if (!l.startsWith("#")) out.push({ line: l, n: i + 1 });
      i++;
    }
    // Some files put expectation lines without indentation right after eval.
    while (
      i < lines.length &&
      /^(expect |[{a-zA-Z_:][^ ]*[ \t]+[-+\d._a-zA-Z{])/.test(lines[i] as string) &&
      !/^(load|eval|clear)\b/.test(lines[i] as string)
    ) {
      out.push({ line: (lines[i] as string).trim(), n: i + 1 });
      i++;
    }
    return out;
  };
  while (i < lines.length) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    i++;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line === "clear") {
      data.clear();
      histogramMetrics.clear();
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)/.exec(line);
    if (load) {
      const nhcb = load[1] !== undefined;
      const step = parseDurationMs(load[2] as string);
      for (const { line: l } of block()) {
        const [desc, vals] = splitSeriesLine(l);
        const labels = parseSeriesDesc(desc);
        // load_with_nhcb also creates a native histogram named after the classic family (out of scope).
        if (nhcb && labels.__name__?.endsWith("_bucket")) histogramMetrics.add(labels.__name__.slice(0, -7));
        const samples: Sample[] = [];
        const histTimes: number[] = [];
        expandValues(vals).forEach((v, k) => {
          if (v === STALE) samples.push(markStale({ t: k * step, v: Number.NaN }));
          else if (v === HIST) histTimes.push(k * step);
          else if (v !== null) samples.push({ t: k * step, v });
        });
        data.add(labels, samples);
        if (histTimes.length) data.addHistogramTimes(labels, histTimes);
      }
      continue;
    }
    const ev =
      /^eval(?:_(fail|warn|info|ordered))?\s+(instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.+)$/.exec(
        line,
      );
    if (!ev) {
      if (/^eval/.test(line))
        results.push({ line: lineNo, expr: line, status: "failed", reason: "cannot parse eval line" });
      continue;
    }
    const expr = ev[7] as string;
    const body = block();
    const expects = body.filter((b) => b.line.startsWith("expect "));
    const outputs = body.filter((b) => !b.line.startsWith("expect "));
    const legacy = ev[1];
    const wantFail = legacy === "fail" || expects.some((e) => /^expect fail/.test(e.line));
    const ordered = legacy === "ordered" || expects.some((e) => e.line === "expect ordered");
    const skip = (reason: string) => results.push({ line: lineNo, expr, status: "skipped", reason });
    if (outputs.some((o) => o.line.includes("{{")) || [...histogramMetrics].some((m) => mentions(expr, m))) {
      skip("native histograms are out of scope");
      continue;
    }
    const wantString = expects.map((e) => /^expect string\s+(.*)$/.exec(e.line)).find((m) => m !== null);
    const wantRange = expects
      .map((e) => /^expect range vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(e.line))
      .find((m) => m !== null);
    data.touchedHistogram = false;
    const histogramSkip = "reads native histogram samples, which are out of scope";
    try {
      let annotated: { result: QueryResult; annotations: string[] };
      const isRange = ev[4] !== undefined;
      if (isRange) {
        annotated = rangeQueryAnnotated(
          data,
          expr,
          parseDurationMs(ev[4] as string),
          parseDurationMs(ev[5] as string),
          parseDurationMs(ev[6] as string),
        );
      } else {
        annotated = instantQueryAnnotated(data, expr, parseDurationMs(ev[3] as string));
      }
      const result = annotated.result;
      if (data.touchedHistogram) {
        skip(histogramSkip);
        continue;
      }
      if (wantFail) {
        results.push({ line: lineNo, expr, status: "failed", reason: "expected the query to fail" });
        continue;
      }
      const annotationProblem = checkAnnotations(
        annotated.annotations,
        expects.map((e) => e.line),
        legacy,
      );
      if (annotationProblem) {
        results.push({ line: lineNo, expr, status: "failed", reason: annotationProblem });
        continue;
      }
      const expected: Expected[] = outputs.map((o) => {
        if (/^[-+]?(\d|Inf|NaN|\.)/i.test(o.line) && !o.line.includes("{"))
          return { labels: null, values: expectValues(o.line) };
        const [desc, vals] = splitSeriesLine(o.line);
        return { labels: parseSeriesDesc(desc), values: expectValues(vals) };
      });
      const steps = isRange
        ? { start: parseDurationMs(ev[4] as string), step: parseDurationMs(ev[6] as string) }
        : wantRange
          ? { start: parseDurationMs(wantRange[1] as string), step: parseDurationMs(wantRange[3] as string) }
          : null;
      const problem = wantString
        ? compareString(result, wantString[1] as string)
        : wantRange && result.resultType !== "matrix"
          ? `expected a range vector, got ${result.resultType}`
          : compare(result, expected, ordered, steps);
      results.push(
        problem
          ? { line: lineNo, expr, status: "failed", reason: problem }
          : { line: lineNo, expr, status: "passed" },
      );
    } catch (err) {
      // Prometheus's fail expectations match the error without its position.
      const message = (err as Error).message.replace(/^\d+:\d+: /, "");
      const failSpec = expects
        .map((e) => /^expect fail\s+(msg|regex):\s?(.*)$/.exec(e.line))
        .find((m) => m !== null);
      const failOk =
        !failSpec ||
        (failSpec[1] === "msg"
          ? message === (failSpec[2] ?? "").trim()
          : new RegExp(failSpec[2] ?? "").test(message));
      if (data.touchedHistogram) skip(histogramSkip);
      else if (wantFail && !failOk)
        results.push({
          line: lineNo,
          expr,
          status: "failed",
          reason: `failed with "${message}", expected ${failSpec?.[0]}`,
        });
      else if (wantFail) results.push({ line: lineNo, expr, status: "passed" });
      else results.push({ line: lineNo, expr, status: "failed", reason: (err as Error).message });
    }
  }
  return results;
}
