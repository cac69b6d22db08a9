import { createHash, createHmac } from "node:crypto";
import { tokensEqual } from "../api/auth";
import type { Core } from "../core";
import { readBodyCapped } from "../lib/bounded-body";
import { AppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
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
  const hash = createHash("sha256").update(`${source}\n${raw}`).digest("hex");
  const prior = core.db
    .query<{ ticket_id: number }, [string]>("SELECT ticket_id FROM webhook_deliveries WHERE payload_hash = ?")
    .get(hash);
  return prior ? { ticket_id: prior.ticket_id, action: "duplicate" } : null;
}

/**
 * The payload is kept redacted (senders paste tokens into alert annotations); the hash stays over the raw
 * body, so a retried delivery is still recognised.
 */
function record(core: Core, source: string, raw: string, payload: unknown, ticketId: number): void {
  const hash = createHash("sha256").update(`${source}\n${raw}`).digest("hex");
  core.db
    .query(
      "INSERT OR IGNORE INTO webhook_deliveries (source, payload_hash, ticket_id, received_at, payload) VALUES (?, ?, ?, ?, ?)",
    )
    .run(source, hash, ticketId, core.clock.now(), JSON.stringify(core.redactor.value(payload)));
}

/** One ticket per alert group; later deliveries for an open group become events, resolutions are noted. */
export function receiveAlertmanager(core: Core, raw: string): WebhookResult {
  const body = parseJson(raw);
  const payload = parseOrThrow(AlertmanagerPayload, body, "Alertmanager payload");
  const dup = delivered(core, "alertmanager", raw);
  if (dup) return dup;
  return core.db
    .transaction((): WebhookResult => {
      const open = core.tickets.findOpenByFingerprint(alertmanagerFingerprint(payload));
      let result: WebhookResult;
      if (open) {
        const resolved = payload.alerts.filter((a) => a.status === "resolved").length;
        core.tickets.addEvent(
          open.id,
          payload.status === "resolved" ? "alerts_resolved" : "still_firing",
          "webhook",
          {
            status: payload.status,
            firing: payload.alerts.length - resolved,
            resolved,
          },
        );
        result = { ticket_id: open.id, action: payload.status === "resolved" ? "noted" : "updated" };
      } else if (payload.status === "resolved") {
        const last = core.tickets.lastByFingerprint(alertmanagerFingerprint(payload));
        if (!last) throw new AppError("not_found", `no ticket for alert group ${payload.groupKey}`);
        core.tickets.addEvent(last.id, "alerts_resolved", "webhook", { status: "resolved" });
        result = { ticket_id: last.id, action: "noted" };
      } else {
        const observation = core.observations.record({
          rule_kind: "webhook",
          rule: payload.commonLabels.alertname ?? payload.groupKey,
          query: payload.groupKey,
          value: payload.alerts.length,
          labels: payload.commonLabels,
          data: { receiver: payload.receiver, alerts: payload.alerts.length },
          observed_at: core.clock.now(),
        });
        const previous = core.tickets.lastByFingerprint(alertmanagerFingerprint(payload));
        const t = core.tickets.create(
          {
            ...ticketFromAlertGroup(payload),
            observation_id: observation.id,
            ...(previous ? { parent_id: previous.id } : {}),
          },
          "webhook",
        );
        result = { ticket_id: t.id, action: "created" };
      }
      record(core, "alertmanager", raw, body, result.ticket_id);
      return result;
    })
    .immediate();
}

export function receiveGeneric(core: Core, raw: string): WebhookResult {
  const body = parseJson(raw);
  const w = parseOrThrow(GenericWebhook, body, "webhook");
  const dup = delivered(core, "generic", raw);
  if (dup) return dup;
  return core.db
    .transaction((): WebhookResult => {
      const fingerprint = w.dedup_key ? `webhook:${w.source_name}:${w.dedup_key}` : undefined;
      const open = fingerprint ? core.tickets.findOpenByFingerprint(fingerprint) : null;
      let result: WebhookResult;
      if (open) {
        core.tickets.addEvent(open.id, "still_firing", "webhook", { title: w.title, source: w.source_name });
        result = { ticket_id: open.id, action: "updated" };
      } else {
        const observation = core.observations.record({
          rule_kind: "webhook",
          rule: w.source_name,
          query: w.dedup_key ?? w.title,
          value: null,
          labels: {},
          data: { title: w.title },
          observed_at: core.clock.now(),
        });
        const t = core.tickets.create(
          {
            title: w.title,
            objective: w.objective,
            priority: w.priority,
            source: "webhook",
            source_ref: w.source_name,
            success_criteria: w.success_criteria,
            context: w.context,
            observation_id: observation.id,
            ...(fingerprint ? { fingerprint } : {}),
          },
          "webhook",
        );
        result = { ticket_id: t.id, action: "created" };
      }
      record(core, "generic", raw, body, result.ticket_id);
      return result;
    })
    .immediate();
}
