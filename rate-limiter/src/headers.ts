import type { Decision } from "./bucket";
import type { ResolvedPolicy } from "./config";

/** draft-ietf-httpapi-ratelimit-headers-11: structured-field lists keyed by policy name. */
export function rateLimitHeaders(p: ResolvedPolicy, d: Decision): Record<string, string> {
  const name = p.name.replace(/[^A-Za-z0-9_.*-]/g, "_");
  const h: Record<string, string> = {
    "RateLimit-Policy": `"${name}";q=${Math.floor(p.capacity)};w=${p.windowSeconds}`,
    RateLimit: `"${name}";r=${d.remaining};t=${Math.ceil(d.resetAfterMs / 1000)}`,
  };
  // A shadow-mode denial is answered as allowed, so the client must not be told to back off.
  if (!d.allowed && !p.shadow && Number.isFinite(d.retryAfterMs))
    h["Retry-After"] = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  return h;
}
