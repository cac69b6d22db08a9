import { invalid } from "../lib/errors";

export function intParam(value: string | undefined, name: string, fallback: number, max = 1_000_000): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw invalid(`${name} must be an integer between 0 and ${max}`);
  return n;
}

export function idParam(value: string | undefined, what = "id"): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw invalid(`${what} must be a positive integer, got "${value}"`);
  return n;
}
