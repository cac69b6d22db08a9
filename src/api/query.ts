import { invalid } from "../lib/errors";

// Digits only: Number() would also take "1.5e2", "0x10" and " 7 ", and a fraction reaching SQLite as a LIMIT
// fails there with a datatype mismatch (a 500 for the caller's typo).
const DIGITS = /^\d{1,15}$/;

export function intParam(value: string | undefined, name: string, fallback: number, max = 1_000_000): number {
  if (value === undefined || value === "") return fallback;
  const n = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw invalid(`${name} must be an integer between 0 and ${max}, got "${value}"`);
  return n;
}

export function idParam(value: string | undefined, what = "id"): number {
  const n = value !== undefined && DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n <= 0) throw invalid(`${what} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * A path whose percent-encoding does not decode (`/api/v1/tickets/%ff`) is refused before routing: Elysia would
 * hand the route a null parameter, and a handler decoding it itself would throw.
 */
export function requireWellFormedPath(path: string): void {
  try {
    decodeURIComponent(path);
  } catch {
    throw invalid(`malformed percent-encoding (%xx) in the path ${JSON.stringify(path.slice(0, 200))}`);
  }
}
