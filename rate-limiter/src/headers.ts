import type { Decision } from "./bucket";
import type { ResolvedPolicy } from "./config";

// Policies live as long as their config; their header text is computed once, not on every request.
const policyHeaders = new WeakMap<ResolvedPolicy, { name: string; policy: string }>();

function forPolicy(p: ResolvedPolicy): { name: string; policy: string } {
  let h = policyHeaders.get(p);
  if (!h) {
    const name = p.name.replace(/[^A-Za-z0-9_.*-]/g, "_");
    h = { name, policy: `"${name}";q=${Math.floor(p.capacity)};w=${p.windowSeconds}` };
    policyHeaders.set(p, h);
  }
  return h;
}

/**
 * draft-ietf-httpapi-ratelimit-headers-11: structured-field lists keyed by policy name, as a record: the
 * reference that `rateLimitHeaderLines`, which the service sends, is tested against.
 */
export function rateLimitHeaders(p: ResolvedPolicy, d: Decision): Record<string, string> {
  const { name, policy } = forPolicy(p);
  const h: Record<string, string> = {
    "content-type": "application/json",
    "RateLimit-Policy": policy,
    RateLimit: `"${name}";r=${d.remaining};t=${Math.ceil(d.resetAfterMs / 1000)}`,
  };
  // A shadow-mode denial is answered as allowed, so the client must not be told to back off.
  if (!d.allowed && !p.shadow && Number.isFinite(d.retryAfterMs))
    h["Retry-After"] = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  return h;
}

/**
 * The same headers as `rateLimitHeaders`, as the header lines the HTTP/1.1 listener writes (each ending
 * in CRLF), for the hot route: one template instead of an object built and walked per answer.
 */
export function rateLimitHeaderLines(p: ResolvedPolicy, d: Decision, extra: string): string {
  const { name, policy } = forPolicy(p);
  const retry =
    !d.allowed && !p.shadow && Number.isFinite(d.retryAfterMs)
      ? `Retry-After: ${Math.max(1, Math.ceil(d.retryAfterMs / 1000))}\r\n`
      : "";
  return `content-type: application/json\r\nRateLimit-Policy: ${policy}\r\nRateLimit: "${name}";r=${d.remaining};t=${Math.ceil(d.resetAfterMs / 1000)}\r\n${retry}${extra}`;
}
