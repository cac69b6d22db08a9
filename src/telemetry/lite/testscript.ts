import type { Labels, QueryResult, Sample } from "../types";
import { instantQuery, rangeQuery } from "./promql";
import { fingerprint, StaleNaN } from "./store";

// Runner for Prometheus's PromQL test-script format (load / clear / eval, FORMAT.md in promql-conformance).

export interface CaseResult {
  line: number;
  expr: string;
  status: "passed" | "failed" | "skipped";
  reason?: string;
}

const unitMs: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };

export function parseDurationMs(text: string): number {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    total += Number(m[1]) * (unitMs[m[2] as string] as number);
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`invalid duration "${text}"`);
  return total;
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
export function expandValues(text: string): (number | null)[] {
  const out: (number | null)[] = [];
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) {
    if (tok === "_") out.push(null);
    else if (tok === "stale") out.push(StaleNaN);
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
  clear(): void {
    this.series.clear();
  }
  add(labels: Labels, samples: Sample[]): void {
    const key = fingerprint(labels);
    const e = this.series.get(key) ?? { labels, samples: [] };
    e.samples.push(...samples);
    e.samples.sort((a, b) => a.t - b.t);
    this.series.set(key, e);
  }
  select(matchers: { name: string; op: string; value: string }[], start: number, end: number) {
    const ok = (op: string, v: string, want: string) =>
      op === "="
        ? v === want
        : op === "!="
          ? v !== want
          : op === "=~"
            ? new RegExp(`^(?:${want})$`).test(v)
            : !new RegExp(`^(?:${want})$`).test(v);
    return [...this.series.values()]
      .filter((s) => matchers.every((m) => ok(m.op, s.labels[m.name] ?? "", m.value)))
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

function compare(result: QueryResult, expected: Expected[], ordered: boolean, range: boolean): string | null {
  if (result.resultType === "scalar") {
    const e = expected[0];
    if (expected.length !== 1 || !e || e.labels !== null)
      return `expected a vector, got scalar ${result.result.v}`;
    return close(result.result.v, e.values[0] ?? Number.NaN)
      ? null
      : `expected ${e.values[0]}, got ${result.result.v}`;
  }
  if (result.resultType === "string") return "unexpected string result";
  const got: { labels: Labels; values: number[] }[] =
    result.resultType === "vector"
      ? result.result.map((s) => ({ labels: s.labels, values: [s.v] }))
      : result.result.map((s) => ({ labels: s.labels, values: s.samples.map((x) => x.v) }));
  if (got.length !== expected.length)
    return `expected ${expected.length} series, got ${got.length}: ${got.map((g) => JSON.stringify(g.labels)).join(" ")}`;
  const byKey = new Map(got.map((g, i) => [fingerprint(g.labels), { g, i }]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as Expected;
    const hit = byKey.get(fingerprint(e.labels ?? {}));
    if (!hit) return `missing series ${JSON.stringify(e.labels)}`;
    if (ordered && hit.i !== i) return `series ${JSON.stringify(e.labels)} out of order`;
    const want = range ? e.values : e.values.slice(0, 1);
    const gotValues = hit.g.values;
    const wantPresent = want.filter((v) => v !== null) as number[];
    if (range) {
      // Range results skip steps without a value; `_` in expectations marks those.
      if (
        wantPresent.length !== gotValues.length ||
        !wantPresent.every((v, j) => close(v, gotValues[j] as number))
      ) {
        return `series ${JSON.stringify(e.labels)}: expected ${JSON.stringify(want)}, got ${JSON.stringify(gotValues)}`;
      }
    } else if (!close(wantPresent[0] ?? Number.NaN, gotValues[0] as number)) {
      return `series ${JSON.stringify(e.labels)}: expected ${wantPresent[0]}, got ${gotValues[0]}`;
    }
  }
  return null;
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
    const load = /^load(?:_with_nhcb)?\s+(\S+)/.exec(line);
    if (load) {
      const step = parseDurationMs(load[1] as string);
      for (const { line: l } of block()) {
        const [desc, vals] = splitSeriesLine(l);
        const labels = parseSeriesDesc(desc);
        if (vals.includes("{{")) {
          histogramMetrics.add(labels.__name__ ?? desc);
          continue;
        }
        const samples: Sample[] = [];
        expandValues(vals).forEach((v, k) => {
          if (v !== null) samples.push({ t: k * step, v });
        });
        data.add(labels, samples);
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
    const wantsAnnotation =
      legacy === "warn" || legacy === "info" || expects.some((e) => /^expect (warn|info)\b/.test(e.line));
    const skip = (reason: string) => results.push({ line: lineNo, expr, status: "skipped", reason });
    if (outputs.some((o) => o.line.includes("{{")) || [...histogramMetrics].some((m) => expr.includes(m))) {
      skip("native histograms are out of scope");
      continue;
    }
    if (expects.some((e) => /^expect (string|range vector)/.test(e.line))) {
      skip("string and range-vector results of instant queries are not compared yet");
      continue;
    }
    try {
      let result: QueryResult;
      const isRange = ev[4] !== undefined;
      if (isRange) {
        result = rangeQuery(
          data,
          expr,
          parseDurationMs(ev[4] as string),
          parseDurationMs(ev[5] as string),
          parseDurationMs(ev[6] as string),
        );
      } else {
        result = instantQuery(data, expr, parseDurationMs(ev[3] as string));
      }
      if (wantFail) {
        results.push({ line: lineNo, expr, status: "failed", reason: "expected the query to fail" });
        continue;
      }
      if (wantsAnnotation) {
        results.push({
          line: lineNo,
          expr,
          status: "failed",
          reason: "expected an info/warn annotation; the engine produces none",
        });
        continue;
      }
      const expected: Expected[] = outputs.map((o) => {
        if (/^[-+]?(\d|Inf|NaN|\.)/i.test(o.line) && !o.line.includes("{"))
          return { labels: null, values: expandValues(o.line) };
        const [desc, vals] = splitSeriesLine(o.line);
        return { labels: parseSeriesDesc(desc), values: expandValues(vals) };
      });
      const problem = compare(result, expected, ordered, isRange);
      results.push(
        problem
          ? { line: lineNo, expr, status: "failed", reason: problem }
          : { line: lineNo, expr, status: "passed" },
      );
    } catch (err) {
      if (wantFail) results.push({ line: lineNo, expr, status: "passed" });
      else results.push({ line: lineNo, expr, status: "failed", reason: (err as Error).message });
    }
  }
  return results;
}
