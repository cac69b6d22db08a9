import type { Labels, Matcher } from "../types";

/**
 * Canonical identity of a label set. Empty values are dropped first because Prometheus treats
 * `{a=""}` and `{}` as the same series.
 */
export function normalizeLabels(labels: Labels): Labels {
  const keys = Object.keys(labels).sort();
  const out: Labels = {};
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

/** Fingerprint of an already normalised (sorted, no empty values) label set. */
export function fingerprintOf(normalized: Labels): string {
  return JSON.stringify(normalized);
}

export const fingerprint = (labels: Labels): string => fingerprintOf(normalizeLabels(labels));

const regexCache = new Map<string, RegExp>();

/**
 * Anchored like Prometheus (`^(?:re)$`); `s` because Prometheus compiles with `(?s:` so `.`
 * also matches newlines. JS regex syntax stands in for RE2; the common subset is identical.
 */
export function compileRegex(re: string): RegExp {
  let r = regexCache.get(re);
  if (r === undefined) {
    r = new RegExp(`^(?:${re})$`, "s");
    // Bounded so a stream of distinct ad-hoc queries cannot grow it forever.
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(re, r);
  }
  return r;
}

/** Prometheus matcher semantics: a missing label matches as the empty string. */
export function matches(m: Matcher, value: string | undefined): boolean {
  const v = value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return compileRegex(m.value).test(v);
    case "!~":
      return !compileRegex(m.value).test(v);
  }
}

export const matchesAll = (ms: Matcher[], labels: Labels): boolean =>
  ms.every((m) => matches(m, labels[m.name]));
