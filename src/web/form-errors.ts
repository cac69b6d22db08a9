import { AppError, httpStatus, toAppError } from "../lib/errors";

/** Turns a validation error ("invalid SLO: objective: …; sli.total: …") into per-field messages. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof AppError)) return { _form: err instanceof Error ? err.message : String(err) };
  const text = err.message.replace(/^invalid [^:]+: /, "");
  const out: Record<string, string> = {};
  for (const part of text.split("; ")) {
    const m = /^([a-z_]+)(?:\.[\w.]+)?: (.*)$/.exec(part);
    if (m && err.code === "invalid") out[m[1] as string] = m[2] as string;
    else out._form = out._form ? `${out._form}; ${part}` : part;
  }
  return out;
}

/**
 * The status of a form refused for the caller's input (400, 404, 409), shown again with the messages. A fault of
 * ours (a busy or broken database, a bug) is rethrown for the error handler to answer 5xx: never the form's fault.
 */
export function formFailureStatus(err: unknown): number {
  const e = toAppError(err);
  if (httpStatus[e.code] >= 500) throw e;
  return httpStatus[e.code];
}

export function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}
