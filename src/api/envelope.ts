import { AppError, errorType, httpStatus, toAppError } from "../lib/errors";

/** Every JSON answer uses the Prometheus-style envelope so scripts can rely on one shape. */
export function success(data: unknown, status = 200): Response {
  return Response.json({ status: "success", data }, { status });
}

export function failure(err: unknown): Response {
  const e = toAppError(err);
  return Response.json(
    { status: "error", errorType: errorType[e.code], error: e.message },
    { status: httpStatus[e.code] },
  );
}

/** Maps Elysia's own error codes (bad JSON, unknown route, validation) into AppErrors. */
export function fromElysia(code: string | number, error: unknown): AppError {
  if (error instanceof AppError) return error;
  // decodeURIComponent on a request's `%ff` (a path segment, a query value): the caller's malformed URL.
  if (error instanceof URIError)
    return new AppError("invalid", "malformed percent-encoding (%xx) in the request");
  switch (code) {
    case "PARSE":
      return new AppError("invalid", "request body is not valid JSON");
    case "NOT_FOUND":
      return new AppError("not_found", "no such route");
    case "VALIDATION":
      return new AppError("invalid", error instanceof Error ? error.message : "invalid request");
    default:
      return toAppError(error);
  }
}
