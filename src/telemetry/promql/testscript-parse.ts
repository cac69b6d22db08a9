import { prometheusDuration, readDuration } from "../../lib/duration";
import type { Labels } from "../types";

// Parser for Prometheus's PromQL test-script format (load / clear / eval, FORMAT.md in promql-conformance):
// the script's text into commands, so the runner only loads, evaluates and compares.

/** Marks a `stale` token in expanded values; the sample becomes a stale marker. */
export const STALE = Symbol("stale");
/** Marks a native-histogram point (out of scope): only its timestamp is kept, to skip evals that read it. */
export const HIST = Symbol("histogram");

/** One expanded point of a series: a number, no sample (`_`), a stale marker or a native-histogram point. */
export type ScriptValue = number | null | typeof STALE | typeof HIST;

/** One expected series (`labels`) or scalar (`labels: null`) of an eval. */
export interface Expected {
  labels: Labels | null;
  values: (number | null)[];
}

/** For range results: the timestamps of the steps, so a `_` in the expectation must be a missing step. */
export interface Steps {
  start: number;
  step: number;
}

export type Query =
  | { kind: "instant"; at: number }
  | { kind: "range"; start: number; end: number; step: number }
  /** Times that do not parse; evaluating it raises the error, as a query that fails would. */
  | { kind: "invalid"; error: Error };

export interface EvalCommand {
  kind: "eval";
  line: number;
  expr: string;
  /** The suffix of `eval_fail`, `eval_warn`, `eval_info` or `eval_ordered`. */
  legacy: string | undefined;
  query: Query;
  /** The `expect …` lines, trimmed. */
  expects: string[];
  wantFail: boolean;
  /** `expect fail msg: …` / `expect fail regex: …`. */
  failSpec: { line: string; mode: "msg" | "regex"; text: string } | null;
  ordered: boolean;
  /** The quoted string of `expect string …`. */
  wantString: string | null;
  /**
   * `expect range vector from … to … step …`: the result must be a matrix, with these steps (or why they
   * do not parse).
   */
  wantRange: Steps | Error | null;
  /** An expected output written in native-histogram notation (`{{…}}`). */
  histogramOutputs: boolean;
  /** The expected outputs, or why they do not parse: reported only once the query has run. */
  outputs: Expected[] | Error;
}

export interface LoadCommand {
  kind: "load";
  /** `load_with_nhcb`: classic `_bucket` series also make a native histogram of the family. */
  nhcb: boolean;
  step: number;
  series: { labels: Labels; values: ScriptValue[] }[];
}

export type Command =
  | { kind: "clear" }
  | LoadCommand
  | EvalCommand
  /** A line starting with `eval` that is not an eval: a failed case of its own. */
  | { kind: "bad_eval"; line: number; text: string };

/** Replaces `{{...}}`, `{{...}}xN` and `{{...}}+{{...}}xN` with placeholder tokens expandValues understands. */
const histogramTokens = (vals: string) =>
  vals.replace(/\{\{[^}]*\}\}(?:[-+]\{\{[^}]*\}\})?(?:x(\d+))?/g, (_m, n?: string) =>
    n ? `__Hx${n}` : "__H",
  );

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
export function expandValues(text: string): ScriptValue[] {
  const out: ScriptValue[] = [];
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

/** One expected output line: a bare scalar, or a series and its values. */
function parseExpected(line: string): Expected {
  if (/^[-+]?(\d|Inf|NaN|\.)/i.test(line) && !line.includes("{"))
    return { labels: null, values: expectValues(line) };
  const [desc, vals] = splitSeriesLine(line);
  return { labels: parseSeriesDesc(desc), values: expectValues(vals) };
}

const EVAL =
  /^eval(?:_(fail|warn|info|ordered))?\s+(instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.+)$/;

/** A parse that may fail, its error kept as a value: an eval's mistakes are reported as that case's failure. */
function orError<T>(parse: () => T): T | Error {
  try {
    return parse();
  } catch (err) {
    return err as Error;
  }
}

/** The eval's times; a time that does not parse becomes an invalid query, reported as its failure. */
function parseQuery(ev: RegExpExecArray): Query {
  const query = orError<Query>(() =>
    ev[4] === undefined
      ? { kind: "instant", at: parseDurationMs(ev[3] as string) }
      : {
          kind: "range",
          start: parseDurationMs(ev[4]),
          end: parseDurationMs(ev[5] as string),
          step: parseDurationMs(ev[6] as string),
        },
  );
  return query instanceof Error ? { kind: "invalid", error: query } : query;
}

function parseEval(ev: RegExpExecArray, lineNo: number, body: { line: string }[]): EvalCommand {
  const expects = body.filter((b) => b.line.startsWith("expect ")).map((b) => b.line);
  const outputLines = body.filter((b) => !b.line.startsWith("expect ")).map((b) => b.line);
  const legacy = ev[1];
  const fail = expects.map((e) => /^expect fail\s+(msg|regex):\s?(.*)$/.exec(e)).find((m) => m !== null);
  const range = expects
    .map((e) => /^expect range vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(e))
    .find((m) => m !== null);
  return {
    kind: "eval",
    line: lineNo,
    expr: ev[7] as string,
    legacy,
    query: parseQuery(ev),
    expects,
    wantFail: legacy === "fail" || expects.some((e) => /^expect fail/.test(e)),
    failSpec: fail ? { line: fail[0], mode: fail[1] as "msg" | "regex", text: fail[2] ?? "" } : null,
    ordered: legacy === "ordered" || expects.includes("expect ordered"),
    wantString: expects.map((e) => /^expect string\s+(.*)$/.exec(e)).find((m) => m !== null)?.[1] ?? null,
    wantRange: range
      ? orError(() => ({
          start: parseDurationMs(range[1] as string),
          step: parseDurationMs(range[3] as string),
        }))
      : null,
    histogramOutputs: outputLines.some((l) => l.includes("{{")),
    outputs: orError(() => outputLines.map(parseExpected)),
  };
}

/** Parses a whole test script. A malformed `load` throws; a malformed `eval` becomes a `bad_eval`. */
export function parseTestScript(text: string): Command[] {
  const lines = text.split("\n");
  const commands: Command[] = [];
  let i = 0;
  // The lines that belong to the command above: indented ones, and bare expectation lines.
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
    const lineNo = i + 1;
    const line = (lines[i] as string).trim();
    i++;
    if (line === "" || line.startsWith("#")) continue;
    if (line === "clear") {
      commands.push({ kind: "clear" });
      continue;
    }
    const load = /^load(_with_nhcb)?\s+(\S+)/.exec(line);
    if (load) {
      const step = parseDurationMs(load[2] as string);
      const series = block().map(({ line: l }) => {
        const [desc, vals] = splitSeriesLine(l);
        return { labels: parseSeriesDesc(desc), values: expandValues(vals) };
      });
      commands.push({ kind: "load", nhcb: load[1] !== undefined, step, series });
      continue;
    }
    const ev = EVAL.exec(line);
    if (ev) commands.push(parseEval(ev, lineNo, block()));
    else if (/^eval/.test(line)) commands.push({ kind: "bad_eval", line: lineNo, text: line });
  }
  return commands;
}
