import type { Labels, Matcher } from "../types";
import { compileRegex } from "./units";

/**
 * Stream labels for one line of a child's output. A JSON line with a string `level` gets `level`
 * as a stream label so `{level="error"}` works without a parser stage; other lines keep the base.
 */
export function labelsForLine(base: Labels, line: string): Labels {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith("{")) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return base;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return base;
  const level = (parsed as Record<string, unknown>).level;
  if (typeof level !== "string" || level === "") return base;
  return { ...base, level };
}

// Label filters run per line; compiling the same pattern for every line would dominate.
const regexCache = new Map<string, RegExp>();
function anchored(src: string): RegExp {
  let re = regexCache.get(src);
  if (!re) {
    if (regexCache.size > 500) regexCache.clear();
    re = compileRegex(src, true);
    regexCache.set(src, re);
  }
  return re;
}

/** Prometheus/Loki matcher semantics: a missing label is the empty string; regexes are anchored. */
export function matchesLabel(m: Matcher, value: string | undefined): boolean {
  const v = value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return anchored(m.value).test(v);
    case "!~":
      return !anchored(m.value).test(v);
  }
}
