import { AppError } from "../lib/errors";

/**
 * Prometheus's and Loki's read APIs take `POST` with a form body exactly like `GET`, and real clients use it:
 * promtool always POSTs its queries, Grafana's Prometheus data source does by default. These routes change
 * nothing, so like their `GET` twins they need no token; every other POST under /api and /loki still does.
 */
const OPEN_READ_POSTS = [
  "/api/v1/query",
  "/api/v1/query_range",
  "/api/v1/series",
  "/api/v1/labels",
  "/api/v1/label/:name/values",
  "/loki/api/v1/query",
  "/loki/api/v1/query_range",
  "/loki/api/v1/labels",
  "/loki/api/v1/label/:name/values",
  "/loki/api/v1/series",
  "/loki/api/v1/index/stats",
] as const;

/** Form bodies of open reads (a query and its parameters) stay far below this. */
export const MAX_OPEN_READ_BODY_BYTES = 1024 * 1024;

const patterns = OPEN_READ_POSTS.map(
  (p) => new RegExp(`^${p.replaceAll(/:[a-z]+/g, "[^/]+").replaceAll("/", "\\/")}$`),
);

const FORM = "application/x-www-form-urlencoded";

/** Whether this request is an open read sent as POST: an allowlisted path with a form body (or none). */
export function isOpenReadPost(method: string, path: string, headers: Headers): boolean {
  if (method !== "POST" || !patterns.some((re) => re.test(path))) return false;
  const type = (headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "" || type === FORM;
}

/**
 * Caps an open read's body before anyone reads it. No token stands in front of these routes, so the size must
 * be known up front: a declared length over the cap is refused, and so is a streamed (chunked) body whose size
 * is unknown until it has been read. promtool and Grafana always declare the length of their forms.
 */
export function checkOpenReadBody(headers: Headers): void {
  const declared = headers.get("content-length");
  if (declared === null) {
    if (headers.has("transfer-encoding")) {
      throw new AppError(
        "invalid",
        `a query sent as POST without a token needs a Content-Length (form bodies up to ${MAX_OPEN_READ_BODY_BYTES} bytes)`,
      );
    }
    return;
  }
  const n = Number(declared);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError("invalid", `bad Content-Length "${declared}"`);
  if (n > MAX_OPEN_READ_BODY_BYTES) {
    throw new AppError(
      "too_large",
      `query form body of ${n} bytes is over the limit of ${MAX_OPEN_READ_BODY_BYTES} bytes`,
    );
  }
}
