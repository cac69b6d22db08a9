import { Elysia } from "elysia";
import type { Core } from "../core";
import {
  authenticateWebhook,
  receiveAlertmanager,
  receiveGeneric,
  type WebhookAuth,
} from "../webhooks/receive";
import { success } from "./envelope";

/** Webhooks authenticate themselves (bearer or HMAC) and read the raw body, which the signature covers. */
export function webhookRoutes(core: Core, auth: WebhookAuth) {
  return new Elysia()
    .post("/api/v1/webhooks/alertmanager", async ({ request }) => {
      const raw = await request.text();
      authenticateWebhook(request.headers, raw, auth);
      const r = receiveAlertmanager(core, raw);
      return success(r, r.action === "created" ? 201 : 200);
    })
    .post("/api/v1/webhooks/generic", async ({ request }) => {
      const raw = await request.text();
      authenticateWebhook(request.headers, raw, auth);
      const r = receiveGeneric(core, raw);
      return success(r, r.action === "created" ? 201 : 200);
    });
}
