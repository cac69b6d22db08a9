import { createHmac } from "node:crypto";
import { tokensEqual } from "../api/auth";
import type { Core } from "../core";
import { readBodyCapped } from "../lib/bounded-body";
import { AppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { fingerprints } from "../tickets/intake";
import { AlertmanagerPayload, alertmanagerFingerprint, ticketFromAlertGroup } from "./alertmanager";
import { GenericWebhook } from "./generic";

export interface WebhookAuth {
  token: string;
  /** Shared secret for `X-Harness-Signature: sha256=<hex HMAC of the raw body>`. */
  hmacSecret?: string | undefined;
}

/** Deliveries larger than this are refused: Alertmanager groups and generic events are a few kilobytes. */
export const WEBHOOK_MAX_BYTES = 2 ** 20;

const unauthorized = () =>
  new AppError("unauthorized", "webhook needs Authorization: Bearer <token> or a valid X-Harness-Signature");

const signatureOf = (headers: Headers) =>
  /^sha256=([0-9a-f]{64})$/i.exec(headers.get("x-harness-signature") ?? "")?.[1]?.toLowerCase();

/**
 * Which credential a delivery offers, judged from its headers alone: a valid bearer token, or a signature that
 * can only be checked against the body. A delivery with neither is refused before a byte of its body is read.
 */
export function webhookCredential(headers: Headers, auth: WebhookAuth): "bearer" | "signature" {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "");
  if (bearer && tokensEqual((bearer[1] as string).trim(), auth.token)) return "bearer";
  if (auth.hmacSecret && signatureOf(headers)) return "signature";
  throw unauthorized();
}

/** Checks `X-Harness-Signature: sha256=<hex HMAC of the raw body>` in constant time. */
export function verifySignature(headers: Headers, body: Uint8Array, auth: WebhookAuth): void {
  const given = signatureOf(headers);
  if (!given || !auth.hmacSecret) throw unauthorized();
  const expected = createHmac("sha256", auth.hmacSecret).update(body).digest("hex");
  if (!tokensEqual(given, expected)) throw unauthorized();
}

/**
 * The raw body of an authenticated delivery: credentials are checked from the headers first (401 without
 * reading), the body is read at most `WEBHOOK_MAX_BYTES` (413), then a signature is checked against it.
 */
export async function readAuthenticatedWebhook(request: Request, auth: WebhookAuth): Promise<string> {
  const credential = webhookCredential(request.headers, auth);
  const body = await readBodyCapped(request, WEBHOOK_MAX_BYTES, "webhook body");
  if (credential === "signature") verifySignature(request.headers, body, auth);
  return new TextDecoder().decode(body);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError("invalid", "webhook body is not valid JSON");
  }
}

export interface WebhookResult {
  ticket_id: number;
  action: "created" | "updated" | "duplicate" | "noted";
}

function delivered(core: Core, source: string, raw: string): WebhookResult | null {
  const prior = core.deliveries.ticketOf(source, raw);
  return prior === null ? null : { ticket_id: prior, action: "duplicate" };
}

/** One ticket per alert group; later deliveries for an open group become events, resolutions are noted. */
export function receiveAlertmanager(core: Core, raw: string): WebhookResult {
  const body = parseJson(raw);
  const payload = parseOrThrow(AlertmanagerPayload, body, "Alertmanager payload");
  const dup = delivered(core, "alertmanager", raw);
  if (dup) return dup;
  return core.transaction((): WebhookResult => {
    const fingerprint = alertmanagerFingerprint(payload);
    const resolved = payload.alerts.filter((a) => a.status === "resolved").length;
    let result: WebhookResult;
    if (payload.status === "resolved" && !core.tickets.findOpenByFingerprint(fingerprint)) {
      // A resolution of a group whose ticket is closed is noted on it; it never opens one.
      const last = core.tickets.lastByFingerprint(fingerprint);
      if (!last) throw new AppError("not_found", `no ticket for alert group ${payload.groupKey}`);
      core.tickets.addEvent(last.id, "alerts_resolved", "webhook", { status: "resolved" });
      result = { ticket_id: last.id, action: "noted" };
    } else {
      const raised = core.intake.raise({
        actor: "webhook",
        fingerprint,
        whileOpen: {
          event: payload.status === "resolved" ? "alerts_resolved" : "still_firing",
          data: { status: payload.status, firing: payload.alerts.length - resolved, resolved },
        },
        linkRecurrence: true,
        observation: {
          rule_kind: "webhook",
          rule: payload.commonLabels.alertname ?? payload.groupKey,
          query: payload.groupKey,
          value: payload.alerts.length,
          labels: payload.commonLabels,
          data: { receiver: payload.receiver, alerts: payload.alerts.length },
        },
        ticket: ticketFromAlertGroup(payload),
      });
      if (!raised.ticket) throw new AppError("internal", "the intake opened no ticket for the alert group");
      result = {
        ticket_id: raised.ticket.id,
        action: raised.action === "created" ? "created" : payload.status === "resolved" ? "noted" : "updated",
      };
    }
    core.deliveries.record("alertmanager", raw, body, result.ticket_id);
    return result;
  });
}

export function receiveGeneric(core: Core, raw: string): WebhookResult {
  const body = parseJson(raw);
  const w = parseOrThrow(GenericWebhook, body, "webhook");
  const dup = delivered(core, "generic", raw);
  if (dup) return dup;
  return core.transaction((): WebhookResult => {
    const raised = core.intake.raise({
      actor: "webhook",
      ...(w.dedup_key ? { fingerprint: fingerprints.webhook(w.source_name, w.dedup_key) } : {}),
      whileOpen: { event: "still_firing", data: { title: w.title, source: w.source_name } },
      observation: {
        rule_kind: "webhook",
        rule: w.source_name,
        query: w.dedup_key ?? w.title,
        value: null,
        labels: {},
        data: { title: w.title },
      },
      ticket: {
        title: w.title,
        objective: w.objective,
        priority: w.priority,
        source: "webhook",
        source_ref: w.source_name,
        success_criteria: w.success_criteria,
        context: w.context,
      },
    });
    if (!raised.ticket) throw new AppError("internal", "the intake opened no ticket for the webhook");
    const result: WebhookResult = {
      ticket_id: raised.ticket.id,
      action: raised.action === "created" ? "created" : "updated",
    };
    core.deliveries.record("generic", raw, body, result.ticket_id);
    return result;
  });
}
