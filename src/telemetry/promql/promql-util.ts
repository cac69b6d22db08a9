import type { SyntaxNode } from "@lezer/common";
import { durationError, prometheusOrSeconds, readDuration } from "../../lib/duration";
import type { InstantSample, Labels, Sample } from "../types";
import { PromQLError } from "./promql-error";

// Shared shapes and small helpers of the PromQL evaluator.

export type Vec = { type: "vector"; samples: InstantSample[] };
export type Value =
  | { type: "scalar"; v: number }
  | Vec
  | { type: "matrix"; series: { labels: Labels; samples: Sample[] }[] }
  | { type: "string"; s: string };

export const lookbackMs = 300_000;

/** A duration literal the grammar accepted (`5m`, `1h30m`, or `300` seconds) in ms; past 292 years is refused. */
export function duration(text: string): number {
  const ms = readDuration(text, prometheusOrSeconds);
  if (ms === null) throw new PromQLError(durationError(text, prometheusOrSeconds));
  return ms;
}

// A range query evaluates every step over the same series objects (see range-cache.ts). Label sets are never
// mutated after they are built, so derived labels and signatures are computed once per object, not per step.
const withoutName = new WeakMap<Labels, Labels>();
const fullSig = new WeakMap<Labels, string>();

export const dropName = (l: Labels): Labels => {
  let out = withoutName.get(l);
  if (out === undefined) {
    const { __name__: _, ...rest } = l;
    out = rest;
    withoutName.set(l, out);
  }
  return out;
};

const sigOf = (l: Labels, names: string[] | null, without: boolean) =>
  JSON.stringify(
    Object.keys(l)
      .filter((k) =>
        names === null ? true : without ? !names.includes(k) && k !== "__name__" : names.includes(k),
      )
      .sort()
      .map((k) => [k, l[k]]),
  );

export const sig = (l: Labels, names: string[] | null, without: boolean): string => {
  if (names !== null) return sigOf(l, names, without);
  let out = fullSig.get(l);
  if (out === undefined) {
    out = sigOf(l, null, false);
    fullSig.set(l, out);
  }
  return out;
};

/** Go's %g-like rendering used in annotation messages. */
export const goFloat = (v: number) =>
  Number.isNaN(v)
    ? "NaN"
    : v === Number.POSITIVE_INFINITY
      ? "+Inf"
      : v === Number.NEGATIVE_INFINITY
        ? "-Inf"
        : String(v);

export const isLabelName = (s: string) => s.length > 0 && !s.includes("\uFFFD");

/** Go regexp's Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
export function expandTemplate(tpl: string, m: RegExpExecArray): string {
  return tpl.replace(/\$\$|\$\{([a-zA-Z0-9_]+)\}|\$([a-zA-Z0-9_]+)/g, (all, a?: string, b?: string) => {
    if (all === "$$") return "$";
    const key = (a ?? b) as string;
    if (/^\d+$/.test(key)) return m[Number(key)] ?? "";
    return m.groups?.[key] ?? "";
  });
}

/** Prometheus sorts label values in natural order, so `10` after `9`. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

export const nodeKey = (n: SyntaxNode) => `${n.name}:${n.from}:${n.to}`;

export const kids = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

const simpleEscapes: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
};

/**
 * Go's strconv.Unquote for PromQL string literals: `\xHH` and octal escapes are raw bytes, so invalid
 * UTF-8 decodes to U+FFFD (which callers treat as an invalid label name).
 */
export function unquoteGo(lit: string): string {
  if (lit.startsWith("`")) return lit.slice(1, -1);
  const body = lit.slice(1, -1);
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      const cp = body.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
      continue;
    }
    const e = body[++i] ?? "";
    if (e in simpleEscapes) bytes.push(simpleEscapes[e] as number);
    else if (e === "x") {
      bytes.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === "u" || e === "U") {
      const len = e === "u" ? 4 : 8;
      bytes.push(...enc.encode(String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + len), 16))));
      i += len;
    } else if (/[0-7]/.test(e)) {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new Error(`invalid escape \\${e} in ${lit}`);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Prometheus's rendering of a label set in error messages: `{a="1", b="2"}`, sorted by name. */
export function formatLabels(l: Labels): string {
  return `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(", ")}}`;
}
