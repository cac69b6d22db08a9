import { checkRegex } from "./query-limits";
import type { Matcher } from "./types";

// Label matching shared by the metric store, PromQL selection and LogQL streams.
const cache = new Map<string, RegExp>();

/**
 * Anchored like Prometheus (`^(?:re)$`), with `s` because Prometheus compiles with `(?s:` so `.` also
 * matches newlines, and RE2's leading `(?i)` turned into the `i` flag. JS syntax stands in for RE2.
 */
export function anchoredRegex(re: string): RegExp {
  let r = cache.get(re);
  if (r === undefined) {
    const ci = re.startsWith("(?i)");
    checkRegex(re);
    r = new RegExp(`^(?:${ci ? re.slice(4) : re})$`, ci ? "si" : "s");
    // Bounded so a stream of distinct ad-hoc queries cannot grow it forever.
    if (cache.size > 1000) cache.clear();
    cache.set(re, r);
  }
  return r;
}

/** Prometheus/Loki matcher semantics: a missing label matches as the empty string. */
export function matchesLabel(m: Matcher, value: string | undefined): boolean {
  const v = value ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return anchoredRegex(m.value).test(v);
    case "!~":
      return !anchoredRegex(m.value).test(v);
  }
}
