import { parseArgs } from "node:util";
import { AppError } from "../lib/errors";

export class UsageError extends AppError {
  constructor(message: string) {
    super("invalid", message);
    this.name = "UsageError";
  }
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

export const commonOptions = {
  "data-dir": { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

/** Strict flag parsing: an unknown flag is a usage error with a sentence, never ignored. */
export function parse<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[.*?\]: /, ""));
  }
}

export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function idArg(value: string | undefined, what = "ticket id"): number {
  const n = Number(value);
  if (value === undefined) throw new UsageError(`missing ${what}`);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${what} must be a positive integer, got "${value}"`);
  return n;
}
