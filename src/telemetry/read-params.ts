import { MAX_OPEN_READ_BODY_BYTES } from "../api/open-reads";
import { readBodyCapped } from "../lib/bounded-body";
import { AppError } from "../lib/errors";

const FORM = "application/x-www-form-urlencoded";

/**
 * The parameters of a Prometheus or Loki read: the query string merged with a form-encoded POST body, as Go's
 * `r.ParseForm` merges them — body values first, so `get` prefers the body and `getAll("match[]")` returns every
 * repeated value from both. Any other body (JSON, none) is ignored, as Prometheus and Loki ignore it.
 */
export async function readParams(req: Request): Promise<URLSearchParams> {
  const url = new URL(req.url);
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (req.method !== "POST" || type !== FORM) return url.searchParams;
  const body = await readBodyCapped(req, MAX_OPEN_READ_BODY_BYTES, "query form body");
  const merged = new URLSearchParams(new TextDecoder().decode(body));
  for (const [k, v] of url.searchParams) merged.append(k, v);
  return merged;
}

/**
 * A label name taken from a route's path, where clients percent-encode it (`/label/%5F%5Fname%5F%5F/values`).
 * Read from the raw URL, not from the router, so a malformed escape is the caller's 400 and not a crash.
 */
export function pathLabelName(req: Request, pattern: RegExp): string {
  const raw = pattern.exec(new URL(req.url).pathname)?.[1] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError("invalid", `invalid label name in the path: malformed percent-encoding "${raw}"`);
  }
}
