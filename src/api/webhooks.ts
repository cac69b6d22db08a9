import { Elysia } from "elysia";
import type { Core } from "../core";
import {
  readAuthenticatedWebhook,
  receiveAlertmanager,
  receiveGeneric,
  type WebhookAuth,
} from "../webhooks/receive";
import { success } from "./envelope";

/**
 * Webhooks authenticate themselves (bearer or HMAC of the raw body). Elysia is told not to parse the body, so
 * credentials are checked before it is read, and it is read capped.
 */
export function webhookRoutes(core: Core, auth: WebhookAuth) {
  const raw = { parse: "none" as const };
  return new Elysia()
    .post(
      "/api/v1/webhooks/alertmanager",
      async ({ request }) => {
        const r = receiveAlertmanager(core, await readAuthenticatedWebhook(request, auth));
        return success(r, r.action === "created" ? 201 : 200);
      },
      raw,
    )
    .post(
      "/api/v1/webhooks/generic",
      async ({ request }) => {
        const r = receiveGeneric(core, await readAuthenticatedWebhook(request, auth));
        return success(r, r.action === "created" ? 201 : 200);
      },
      raw,
    );
}
