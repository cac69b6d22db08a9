import { SQLiteError } from "bun:sqlite";

// One error family for the whole harness: mapped to HTTP in api/envelope.ts and to CLI text in cli/run.ts.
// The query codes follow Prometheus's API: `execution` (422) for a query that parsed but could not run within
// its limits, `timeout` (503) past its deadline, `canceled` when its client went away.
export type ErrorCode =
  | "invalid"
  | "not_found"
  | "conflict"
  | "unauthorized"
  | "too_large"
  | "unsupported_media"
  | "throttled"
  | "execution"
  | "timeout"
  | "canceled"
  | "unavailable"
  | "internal";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const invalid = (message: string) => new AppError("invalid", message);
export const notFound = (message: string) => new AppError("not_found", message);
export const conflict = (message: string) => new AppError("conflict", message);

export const httpStatus: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  execution: 422,
  throttled: 429,
  canceled: 499,
  unavailable: 503,
  timeout: 503,
  internal: 500,
};

/** Prometheus-style errorType names, so API clients see familiar values. */
export const errorType: Record<ErrorCode, string> = {
  invalid: "bad_data",
  unauthorized: "unauthorized",
  not_found: "not_found",
  conflict: "conflict",
  too_large: "bad_data",
  unsupported_media: "bad_data",
  execution: "execution",
  throttled: "unavailable",
  canceled: "canceled",
  unavailable: "unavailable",
  timeout: "timeout",
  internal: "internal",
};

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof SQLiteError) return storageError(err);
  const message = err instanceof Error ? err.message : String(err);
  return new AppError("internal", message);
}

// SQLite primary result codes (the low byte of an extended code) that mean "try again": another connection holds
// the lock (BUSY, LOCKED) or the disk is full (FULL). Every other SQLite failure (IOERR, CORRUPT, a mismatch from a
// value we failed to validate) is our fault: a storage error is never the caller's `bad_data`.
const SQLITE_RETRYABLE = new Set([5, 6, 13]);

function storageError(err: SQLiteError): AppError {
  const code = err.code ?? `SQLite error ${err.errno}`;
  return new AppError(
    SQLITE_RETRYABLE.has(err.errno & 0xff) ? "unavailable" : "internal",
    `storage error (${code}): ${err.message}`,
  );
}

/** Turns a zod error into one readable sentence that names the bad fields. */
export function describeZodIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((i) => {
      const path = i.path.map(String).join(".");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}
