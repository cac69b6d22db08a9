import type { Labels, QueryResult, Sample } from "../types";
import { fingerprint } from "./series-util";
import type { EvalCommand, Expected, Steps } from "./testscript-parse";

// The comparison half of the test-script runner: what the engine answered against what the script expects.
// Each check returns the problem as text, or null when the answer is right.

const close = (a: number, b: number) => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-12;
};

/** A vector, matrix or scalar result against the expected outputs; `range` when the answer has steps. */
function compareValues(
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

/**
 * A query that answered, against everything the eval expects: annotations, then a string, a range vector
 * or values. Expected outputs that did not parse are thrown here, where the query's own errors are caught.
 */
export function judgeAnswer(
  cmd: EvalCommand,
  answer: { result: QueryResult; annotations: string[] },
): string | null {
  const annotationProblem = checkAnnotations(answer.annotations, cmd.expects, cmd.legacy);
  if (annotationProblem) return annotationProblem;
  if (cmd.outputs instanceof Error) throw cmd.outputs;
  const q = cmd.query;
  const steps = q.kind === "range" ? { start: q.start, step: q.step } : cmd.wantRange;
  if (steps instanceof Error) throw steps;
  const { result } = answer;
  if (cmd.wantString !== null) return compareString(result, cmd.wantString);
  if (cmd.wantRange !== null && result.resultType !== "matrix")
    return `expected a range vector, got ${result.resultType}`;
  return compareValues(result, cmd.outputs, cmd.ordered, steps);
}

/** A query that failed, against `expect fail [msg|regex: …]`; Prometheus matches the error without its position. */
export function failureMatches(cmd: EvalCommand, message: string): boolean {
  const spec = cmd.failSpec;
  if (!spec) return true;
  return spec.mode === "msg" ? message === spec.text.trim() : new RegExp(spec.text).test(message);
}
