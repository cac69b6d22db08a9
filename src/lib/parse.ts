import { z } from "zod";
import { harnessDuration, readDuration } from "./duration";
import { describeZodIssues, invalid } from "./errors";

/** Validates untrusted input against a schema, throwing an `invalid` AppError naming the bad fields. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalid(`invalid ${what}: ${describeZodIssues(result.error.issues)}`);
  return result.data;
}

/** A duration written as text (`30s`, `5m`, `1h30m`); `positive` also refuses `0s`. */
export function durationText(opts: { positive?: boolean } = {}) {
  return z.string().refine(
    (s) => {
      const ms = readDuration(s, harnessDuration);
      return ms !== null && (opts.positive ? ms > 0 : ms >= 0);
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
  const ago = readDuration(value, harnessDuration);
  if (ago !== null) return nowMs - ago;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`${name} must be RFC 3339, Unix seconds or a duration such as 24h, got "${value}"`);
  return ms;
}
