import { createHmac } from "node:crypto";
import { harnessVersion } from "../../version";
import type { Message } from "../model";
import type { HttpRequest } from "../send";

/** `sha256=<hex HMAC-SHA256 of the raw body>`, the form Harness's own webhook receiver checks. */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/**
 * A generic JSON webhook, signed in `X-Harness-Signature`. The send time is inside the signed body
 * (`sent_at`) so a receiver can refuse replays; `id` stays the same across retries, for de-duplication.
 */
export function webhookRequest(url: string, secret: string, m: Message, now: number): HttpRequest {
  const body = JSON.stringify({
    version: 1,
    id: m.id,
    event: m.event,
    test: m.test ?? false,
    sent_at: new Date(now).toISOString(),
    occurred_at: new Date(m.at).toISOString(),
    ticket: { ...m.ticket, url: m.url },
    headline: m.headline,
    detail: m.detail,
  });
  return {
    url,
    headers: {
      "content-type": "application/json",
      "user-agent": `harness/${harnessVersion}`,
      "x-harness-event": m.event,
      "x-harness-delivery": m.id,
      "x-harness-signature": signBody(secret, body),
    },
    body,
  };
}
