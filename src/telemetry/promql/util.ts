import type { SyntaxNode } from "@lezer/common";
import type { InstantSample, Labels, Sample } from "../types";
import { hasInvalidUtf8 } from "./strings";

// Shared shapes and small helpers of the PromQL evaluator.

export type Vec = { type: "vector"; samples: InstantSample[] };
export type Value =
  | { type: "scalar"; v: number }
  | Vec
  | { type: "matrix"; series: { labels: Labels; samples: Sample[] }[] }
  | { type: "string"; s: string };

export const unit: Record<string, number> = {
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
  d: 864e5,
  w: 6048e5,
  y: 31536e6,
};

export function duration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g))
    total += Number(m[1]) * (unit[m[2] as string] as number);
  if (total === 0 && /^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  return total;
}

export const dropName = (l: Labels): Labels => {
  const { __name__: _, ...rest } = l;
  return rest;
};
export const sig = (l: Labels, names: string[] | null, without: boolean) =>
  JSON.stringify(
    Object.keys(l)
      .filter((k) =>
        names === null ? true : without ? !names.includes(k) && k !== "__name__" : names.includes(k),
      )
      .sort()
      .map((k) => [k, l[k]]),
  );

/** Go's %g-like rendering used in annotation messages. */
export const goFloat = (v: number) =>
  Number.isNaN(v)
    ? "NaN"
    : v === Number.POSITIVE_INFINITY
      ? "+Inf"
      : v === Number.NEGATIVE_INFINITY
        ? "-Inf"
        : String(v);

export const isLabelName = (s: string) => s.length > 0 && !hasInvalidUtf8(s);

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
