import type { Labels } from "../types";

/** Marks a `stale` token in expanded values; the sample becomes a registered stale marker. */
export const STALE = Symbol("stale");
/** Marks a native-histogram point (out of scope): only its timestamp is kept, to skip evals that read it. */
export const HIST = Symbol("histogram");

/** Replaces `{{...}}`, `{{...}}xN` and `{{...}}+{{...}}xN` with placeholder tokens expandValues understands. */
const histogramTokens = (vals: string) =>
  vals.replace(/\{\{[^}]*\}\}(?:[-+]\{\{[^}]*\}\})?(?:x(\d+))?/g, (_m, n?: string) =>
    n ? `__Hx${n}` : "__H",
  );

// Value and series notation of the PromQL test-script format (FORMAT.md in promql-conformance).

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
export const expectValues = (text: string): (number | null)[] =>
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
export function splitSeriesLine(line: string): [string, string] {
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
