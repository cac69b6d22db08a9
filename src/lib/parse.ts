import { z } from "zod";
import { describeZodIssues, invalid } from "./errors";

/** Validates untrusted input against a schema, throwing an `invalid` AppError naming the bad fields. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(`invalid ${what}: ${describeZodIssues(result.error.issues)}`);
  return result.data;
}

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses Prometheus-style durations such as `30s`, `5m`, `1h30m`, `30d`. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * (unitMs[m[2] as string] ?? 0);
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.length)
    throw invalid(`invalid duration "${text}" (use e.g. 30s, 5m, 1h)`);
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration written as text (`30s`, `5m`, `1h30m`); `positive` also refuses `0s`. */
export function durationText(opts: { positive?: boolean } = {}) {
  return z.string().refine(
    (s) => {
      try {
        return opts.positive ? parseDuration(s) > 0 : parseDuration(s) >= 0;
      } catch {
        return false;
      }
    },
    { message: `must be a ${opts.positive ? "positive " : ""}duration such as 30s, 5m, 1h, 30d` },
  );
}

/** A rule or definition name, safe in fingerprints, metric labels and file names. */
export const ruleName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits, _ . : -");

/**
 * A point in time for list filters: RFC 3339, Unix seconds, or a duration meaning that long before `nowMs`
 * ("24h" = the last day). Throws with the parameter's name.
 */
export function parseSince(value: string, nowMs: number, name: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  try {
    return nowMs - parseDuration(value);
  } catch {
    const ms = Date.parse(value);
    if (Number.isNaN(ms))
      throw new Error(`${name} must be RFC 3339, Unix seconds or a duration such as 24h, got "${value}"`);
    return ms;
  }
}
