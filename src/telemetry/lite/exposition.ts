import type { Labels } from "../types";

export interface ParsedSample {
  labels: Labels;
  value: number;
  timestampMs?: number;
}

function parseValue(s: string): number {
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (s === "NaN") return Number.NaN;
  const v = Number(s);
  if (s === "" || Number.isNaN(v)) throw new Error(`invalid value "${s}"`);
  return v;
}

/** Prometheus text exposition format 0.0.4 (and the OpenMetrics lines that matter here). */
export function parseExposition(text: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      out.push(parseLine(line));
    } catch (err) {
      throw new Error(`line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}

function parseLine(line: string): ParsedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error("expected a metric name");
  const labels: Labels = { __name__: nameMatch[0] };
  let pos = nameMatch[0].length;
  if (line[pos] === "{") {
    pos++;
    for (;;) {
      while (line[pos] === " " || line[pos] === ",") pos++;
      if (line[pos] === "}") {
        pos++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (!ln) throw new Error("expected a label name");
      pos += ln[0].length;
      if (line[pos] !== "=" || line[pos + 1] !== '"') throw new Error(`expected =" after label ${ln[0]}`);
      pos += 2;
      let value = "";
      while (pos < line.length && line[pos] !== '"') {
        if (line[pos] === "\\") {
          const next = line[pos + 1];
          value += next === "n" ? "\n" : (next ?? "");
          pos += 2;
        } else value += line[pos++];
      }
      if (line[pos] !== '"') throw new Error(`unterminated value of label ${ln[0]}`);
      pos++;
      labels[ln[0]] = value;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? "");
  const ts = rest[1] !== undefined ? Number(rest[1]) : undefined;
  if (ts !== undefined && !Number.isFinite(ts)) throw new Error(`invalid timestamp "${rest[1]}"`);
  return ts === undefined ? { labels, value } : { labels, value, timestampMs: ts };
}
