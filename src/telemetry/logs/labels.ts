import type { Labels } from "../types";

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

export { matchesLabel } from "../matchers";
