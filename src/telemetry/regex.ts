import { checkRegex } from "./query-limits";
import { RegexSyntaxError, translateRe2 } from "./re2-translate";

export { RegexSyntaxError };

// The one translation of the regular expressions Prometheus and Loki take (Go's RE2 syntax) into JavaScript's.
// Every regex a query carries comes through here, so a selector, label_replace and a line filter agree on what
// a pattern means, and the limits of query-limits.ts are applied once, before anything is compiled.

/** Where a pattern is used decides how it is anchored and whether `.` matches a newline. */
export type RegexMode = "anchored" | "search";

const modes: Record<RegexMode, { anchored: boolean; dotAll: boolean }> = {
  /** Label matchers and label_replace: Prometheus and Loki compile `^(?s:re)$`. */
  anchored: { anchored: true, dotAll: true },
  /** LogQL line filters (`|~`, `!~`): Loki compiles the pattern as written, so it may match anywhere. */
  search: { anchored: false, dotAll: false },
};

const cache = new Map<string, RegExp>();

/** The compiled pattern, cached; throws RegexSyntaxError, or an `invalid` AppError past a query limit. */
export function compileRegex(source: string, mode: RegexMode): RegExp {
  const key = `${mode}:${source}`;
  let re = cache.get(key);
  if (re === undefined) {
    checkRegex(source);
    const t = translateRegex(source, mode);
    try {
      re = new RegExp(t.source, t.flags);
    } catch (err) {
      throw new RegexSyntaxError(`error parsing regexp: ${(err as Error).message}: \`${source}\``);
    }
    // Bounded so a stream of distinct ad-hoc queries cannot grow it forever.
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** RE2 source → JavaScript source and flags (always `u`: RE2 matches code points, as `u` does). */
export function translateRegex(source: string, mode: RegexMode): { source: string; flags: string } {
  const { anchored, dotAll } = modes[mode];
  const body = translateRe2(source, dotAll);
  return { source: anchored ? `^(?:${body})$` : body, flags: "u" };
}
