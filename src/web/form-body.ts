import { readBodyCapped } from "../lib/bounded-body";
import { AppError, httpStatus } from "../lib/errors";

/** Dashboard forms are a few fields; a larger body is refused before it is read, let alone parsed. */
export const FORM_MAX_BYTES = 64 * 1024;

/** What the parser hands a route when the body was refused: the route answers `refusedBody` instead. */
export class RefusedBody {
  constructor(readonly error: AppError) {}
}

/**
 * The body of a dashboard POST, read at most `FORM_MAX_BYTES` (Elysia's own parsers read it whole): form fields
 * as one string each, JSON parsed, anything else as text.
 */
export async function parseFormBody(request: Request, contentType: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readBodyCapped(request, FORM_MAX_BYTES, "form body");
  } catch (err) {
    if (err instanceof AppError) return new RefusedBody(err);
    throw err;
  }
  const type = contentType.split(";")[0]?.trim().toLowerCase();
  if (type === "multipart/form-data") {
    const headers = { "content-type": request.headers.get("content-type") ?? "" };
    const form = await new Response(new Uint8Array(bytes), { headers }).formData().catch(() => null);
    if (!form) return new RefusedBody(new AppError("invalid", "form body is not valid multipart/form-data"));
    return Object.fromEntries([...form].filter((e): e is [string, string] => typeof e[1] === "string"));
  }
  const text = new TextDecoder().decode(bytes);
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(text));
  if (type === "application/json") {
    try {
      return JSON.parse(text);
    } catch {
      return new RefusedBody(new AppError("invalid", "request body is not valid JSON"));
    }
  }
  return text;
}

/** The page for a refused body: plain text like the other refusals of a form. */
export function refusedBody(refused: RefusedBody): Response {
  return new Response(refused.error.message, { status: httpStatus[refused.error.code] });
}
