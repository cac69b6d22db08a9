import type { Labels } from "../types";
import {
  type IngestLimits,
  labelsViolation,
  labelValueTooLong,
  tooManyLabels,
  tooManySamples,
  tooManySeries,
} from "./limits";

/** One sample line of the text format; `labels.__name__` is the metric name as written. */
export interface ParsedSample {
  labels: Labels;
  value: number;
  timestampMs?: number;
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "ExpositionError";
  }
}

const METRIC_TYPES = new Set([
  "counter",
  "gauge",
  "histogram",
  "summary",
  "untyped",
  // OpenMetrics types, accepted so an OpenMetrics body does not fail on its metadata.
  "unknown",
  "gaugehistogram",
  "stateset",
  "info",
]);

const isNameStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number) => isNameStart(c) && c !== 58;
const isLabelChar = (c: number) => isNameChar(c) && c !== 58;
const isBlank = (c: number) => c === 32 || c === 9;

const SPECIAL_VALUES: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  "+inf": Number.POSITIVE_INFINITY,
  "-inf": Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  "+infinity": Number.POSITIVE_INFINITY,
  "-infinity": Number.NEGATIVE_INFINITY,
};
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's ParseFloat as Prometheus uses it: decimal floats plus NaN/Inf spellings, case-insensitive. */
export function parseFloatValue(s: string): number | undefined {
  const special = SPECIAL_VALUES[s.toLowerCase()];
  if (special !== undefined) return special;
  return DECIMAL.test(s) ? Number(s) : undefined;
}

/**
 * Prometheus text exposition format 0.0.4. Histogram and summary samples come out as the plain
 * series they are written as (`x_bucket{le=..}`, `x_sum`, `x_count`). OpenMetrics bodies parse
 * too as far as they share the syntax: `# EOF` ends the input, exemplars are skipped, and
 * `_created` lines are plain series. Throws ExpositionError naming the 1-based line.
 */
export function parseExposition(text: string, limits?: IngestLimits): ParsedSample[] {
  const out: ParsedSample[] = [];
  // Series as written (name and label block): exporters write one series the same way on every line.
  const series = new Set<string>();
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      if (trimmed === "# EOF") break;
      parseComment(trimmed, lineNo);
      continue;
    }
    const [sample, seriesEnd] = parseSampleLine(trimmed, lineNo, limits);
    if (limits) {
      if (out.length >= limits.maxSamplesPerRequest)
        throw new ExpositionError(lineNo, tooManySamples(limits));
      series.add(trimmed.slice(0, seriesEnd));
      if (series.size > limits.maxSeriesPerRequest) throw new ExpositionError(lineNo, tooManySeries(limits));
      const broken = labelsViolation(sample.labels, limits);
      if (broken) throw new ExpositionError(lineNo, broken);
    }
    out.push(sample);
  }
  return out;
}

function parseComment(line: string, lineNo: number): void {
  const parts = line
    .slice(1)
    .trim()
    .split(/[ \t]+/);
  const kind = parts[0];
  if (kind !== "TYPE" && kind !== "HELP") return; // any other comment is free text
  const name = parts[1];
  if (name === undefined || !isMetricName(name)) {
    throw new ExpositionError(lineNo, `${kind} needs a valid metric name`);
  }
  if (kind === "TYPE") {
    const type = parts[2];
    if (type === undefined || !METRIC_TYPES.has(type)) {
      throw new ExpositionError(lineNo, `unknown metric type ${JSON.stringify(type ?? "")} for ${name}`);
    }
    if (parts.length > 3) throw new ExpositionError(lineNo, `unexpected text after TYPE ${name} ${type}`);
  }
}

function isMetricName(s: string): boolean {
  if (s.length === 0 || !isNameStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isNameChar(s.charCodeAt(i))) return false;
  return true;
}

/** One sample line and where its series (name and labels) ends; `limits` stop a huge label early. */
function parseSampleLine(line: string, lineNo: number, limits?: IngestLimits): [ParsedSample, number] {
  const fail = (detail: string): never => {
    throw new ExpositionError(lineNo, detail);
  };
  let pos = 0;
  if (!isNameStart(line.charCodeAt(0))) fail(`expected a metric name, got ${JSON.stringify(line[0])}`);
  while (pos < line.length && isNameChar(line.charCodeAt(pos))) pos++;
  const name = line.slice(0, pos);
  const labels: Labels = { __name__: name };
  const skipBlanks = () => {
    while (pos < line.length && isBlank(line.charCodeAt(pos))) pos++;
  };
  skipBlanks();
  if (line[pos] === "{") {
    pos++;
    for (;;) {
      skipBlanks();
      if (line[pos] === "}") {
        pos++;
        break;
      }
      if (limits && Object.keys(labels).length >= limits.maxLabelsPerSeries)
        fail(tooManyLabels(name, limits));
      const nameStart = pos;
      if (!isLabelStart(line.charCodeAt(pos))) fail(`expected a label name or } in ${name}`);
      while (pos < line.length && isLabelChar(line.charCodeAt(pos))) pos++;
      const labelName = line.slice(nameStart, pos);
      skipBlanks();
      if (line[pos] !== "=") fail(`expected = after label ${labelName}`);
      pos++;
      skipBlanks();
      if (line[pos] !== '"') fail(`expected " to open the value of label ${labelName}`);
      pos++;
      let value = "";
      let closed = false;
      while (pos < line.length) {
        const ch = line[pos] as string;
        if (ch === '"') {
          closed = true;
          pos++;
          break;
        }
        if (ch === "\\" && pos + 1 < line.length) {
          const next = line[pos + 1] as string;
          // Only these three are escapes in 0.0.4; others stay verbatim, as in Prometheus.
          value += next === "n" ? "\n" : next === "\\" || next === '"' ? next : ch + next;
          pos += 2;
          continue;
        }
        value += ch;
        pos++;
        // UTF-16 units never outnumber UTF-8 bytes: past the limit in units is past it in bytes.
        if (limits && value.length > limits.maxLabelValueLength) fail(labelValueTooLong(labelName, limits));
      }
      if (!closed) fail(`unterminated value of label ${labelName}`);
      if (labelName in labels) fail(`duplicate label ${labelName}`);
      labels[labelName] = value;
      skipBlanks();
      if (line[pos] === ",") pos++;
      else if (line[pos] !== "}") fail(`expected , or } after label ${labelName}`);
    }
  }
  const seriesEnd = pos;
  const rest = line.slice(pos).trim();
  // OpenMetrics exemplars follow " # "; they are not samples.
  const hash = rest.indexOf("#");
  const fields = (hash === -1 ? rest : rest.slice(0, hash)).trim().split(/[ \t]+/);
  const rawValue = fields[0] ?? "";
  if (rawValue === "") fail(`missing value for ${name}`);
  const value = parseFloatValue(rawValue);
  if (value === undefined) fail(`invalid value ${JSON.stringify(rawValue)} for ${name}`);
  if (fields.length > 2) fail(`unexpected text after the timestamp of ${name}`);
  const rawTs = fields[1];
  if (rawTs === undefined) return [{ labels, value: value as number }, seriesEnd];
  if (!/^-?\d+$/.test(rawTs)) fail(`invalid timestamp ${JSON.stringify(rawTs)} (integer milliseconds)`);
  return [{ labels, value: value as number, timestampMs: Number(rawTs) }, seriesEnd];
}
