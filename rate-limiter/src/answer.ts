import type { Decision } from "./bucket";
import type { ResolvedPolicy } from "./config";

/** The `/v1/check` answer as an object: the contract, and the reference `checkAnswerText` is tested against. */
export function checkAnswerObject(
  policy: ResolvedPolicy,
  d: Decision,
  allowed: boolean,
): Record<string, unknown> {
  const answer: Record<string, unknown> = {
    allowed,
    limit: policy.capacity,
    remaining: d.remaining,
    reset_after_ms: d.resetAfterMs,
    retry_after_ms: Number.isFinite(d.retryAfterMs) ? d.retryAfterMs : -1,
    policy: policy.name,
  };
  if (policy.shadow && !d.allowed) answer.shadow_denied = true;
  return answer;
}

// A policy's name as JSON, escaped once per loaded config rather than on every answer.
const nameJson = new WeakMap<ResolvedPolicy, string>();

/** JSON's text for a number; the fields are finite, but a NaN must not make the body invalid JSON. */
const num = (n: number) => (Number.isFinite(n) ? String(n) : "null");

/**
 * `JSON.stringify(checkAnswerObject(...))`, written out, in ASCII (other characters escaped): building and
 * serialising the object was the largest cost of answering a check after parsing its request.
 */
export function checkAnswerText(policy: ResolvedPolicy, d: Decision, allowed: boolean): string {
  let name = nameJson.get(policy);
  if (name === undefined) {
    // Escaped to ASCII (still the same JSON string), so the answer's length is its length in bytes.
    name = JSON.stringify(policy.name).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    nameJson.set(policy, name);
  }
  const retry = Number.isFinite(d.retryAfterMs) ? num(d.retryAfterMs) : "-1";
  const shadow = policy.shadow && !d.allowed ? ',"shadow_denied":true' : "";
  return `{"allowed":${allowed},"limit":${num(policy.capacity)},"remaining":${num(d.remaining)},"reset_after_ms":${num(d.resetAfterMs)},"retry_after_ms":${retry},"policy":${name}${shadow}}`;
}
