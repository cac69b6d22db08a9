import { goDuration, readDuration } from "../../lib/duration";
import { comparisons } from "../binops";
import { compileRegex } from "../regex";
import type { Labels } from "../types";
import { matchesLabel } from "./labels";
import type { LabelFilterExpr, LineFilter, Stage, TemplatePart } from "./logql-ast";
import { parseJsonLine, parseLogfmtLine, pickLogfmt } from "./parsers";
import { parseBytes } from "./units";

export interface PipelineEntry {
  t: number;
  line: string;
  labels: Labels;
}

/** Runs one entry through the stages; null when a filter drops it. */
export type Pipeline = (t: number, line: string, streamLabels: Labels) => PipelineEntry | null;

function lineFilter(f: LineFilter): (line: string) => boolean {
  switch (f.op) {
    case "|=":
      return (l) => f.values.some((v) => l.includes(v));
    case "!=":
      return (l) => !f.values.some((v) => l.includes(v));
    case "|~": {
      const res = f.values.map((v) => compileRegex(v, "search"));
      return (l) => res.some((r) => r.test(l));
    }
    case "!~": {
      const res = f.values.map((v) => compileRegex(v, "search"));
      return (l) => !res.some((r) => r.test(l));
    }
  }
}

export function evalLabelFilter(e: LabelFilterExpr, labels: Labels): boolean {
  switch (e.kind) {
    case "and":
      return evalLabelFilter(e.left, labels) && evalLabelFilter(e.right, labels);
    case "or":
      return evalLabelFilter(e.left, labels) || evalLabelFilter(e.right, labels);
    case "match":
      return matchesLabel(e.matcher, labels[e.matcher.name]);
    case "number": {
      const raw = labels[e.name];
      // A missing or unparsable value fails the comparison, except for `!=`.
      if (raw === undefined) return e.op === "!=";
      const v =
        e.unit === "duration"
          ? readDuration(raw, goDuration)
          : e.unit === "bytes"
            ? parseBytes(raw)
            : Number(raw);
      if (v === null || Number.isNaN(v) || raw.trim() === "") return e.op === "!=";
      return comparisons[e.op](v, e.value);
    }
  }
}

export function renderTemplate(parts: TemplatePart[], line: string, t: number, labels: Labels): string {
  let out = "";
  for (const p of parts) {
    if ("text" in p) out += p.text;
    else if ("label" in p) out += labels[p.label] ?? "";
    else if ("line" in p) out += line;
    else out += new Date(t).toISOString();
  }
  return out;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC.
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;

type Step = (e: PipelineEntry, stream: Labels) => boolean;

function addExtracted(e: PipelineEntry, stream: Labels, pairs: [string, string][]): void {
  for (const [k, v] of pairs) {
    // Loki keeps stream labels intact and renames a clashing extracted key.
    const name = k in stream ? `${k}_extracted` : k;
    e.labels[name] = v;
  }
}

function step(s: Stage): Step {
  switch (s.kind) {
    case "lineFilter": {
      const f = lineFilter(s.filter);
      return (e) => f(e.line);
    }
    case "json":
      return (e, stream) => {
        const r = parseJsonLine(e.line, s.params);
        if (r === "error") e.labels.__error__ = "JSONParserErr";
        else addExtracted(e, stream, r);
        return true;
      };
    case "logfmt":
      return (e, stream) => {
        const r = parseLogfmtLine(e.line, s.strict, s.keepEmpty);
        if (r === "error") e.labels.__error__ = "LogfmtParserErr";
        else addExtracted(e, stream, pickLogfmt(r, s.params));
        return true;
      };
    case "labelFilter":
      return (e) => evalLabelFilter(s.expr, e.labels);
    case "lineFormat":
      return (e) => {
        e.line = renderTemplate(s.template, e.line, e.t, e.labels);
        return true;
      };
    case "labelFormat":
      return (e) => {
        const before = { ...e.labels };
        for (const it of s.items) {
          if (it.template) e.labels[it.dst] = renderTemplate(it.template, e.line, e.t, before);
          else if (it.src !== undefined) {
            const v = before[it.src] ?? "";
            delete e.labels[it.src];
            e.labels[it.dst] = v;
          }
        }
        return true;
      };
    case "drop":
      return (e) => {
        for (const it of s.items)
          if (!it.matcher || matchesLabel(it.matcher, e.labels[it.name])) delete e.labels[it.name];
        return true;
      };
    case "keep":
      return (e) => {
        const kept: Labels = {};
        for (const it of s.items) {
          const v = e.labels[it.name];
          if (v !== undefined && (!it.matcher || matchesLabel(it.matcher, v))) kept[it.name] = v;
        }
        e.labels = kept;
        return true;
      };
    case "decolorize":
      return (e) => {
        e.line = e.line.replace(ansi, "");
        return true;
      };
  }
}

export function compilePipeline(stages: Stage[]): Pipeline {
  const steps = stages.map(step);
  return (t, line, streamLabels) => {
    const e: PipelineEntry = { t, line, labels: { ...streamLabels } };
    for (const s of steps) if (!s(e, streamLabels)) return null;
    return e;
  };
}

/**
 * Literal `|=` terms that hold for the stored line, usable for the index pre-filter: those before
 * any stage that rewrites the line, and only single-value filters (an `or` needs either term).
 */
export function indexableTerms(stages: Stage[]): string[] {
  const terms: string[] = [];
  for (const s of stages) {
    if (s.kind === "lineFormat" || s.kind === "decolorize") break;
    if (s.kind === "lineFilter" && s.filter.op === "|=" && s.filter.values.length === 1)
      terms.push(s.filter.values[0] as string);
  }
  return terms;
}
