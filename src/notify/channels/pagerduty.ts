import type { Message } from "../model";
import type { HttpRequest } from "../send";

const severity: Record<string, "critical" | "error" | "warning" | "info"> = {
  P1: "critical",
  P2: "error",
  P3: "warning",
  P4: "info",
};

/** PagerDuty's limit on `payload.summary`. */
const SUMMARY_MAX = 1024;

/**
 * PagerDuty Events API v2: every event of a ticket triggers under one `dedup_key`, so they gather in one
 * incident; `completed` resolves it.
 */
export function pagerdutyRequest(
  url: string,
  routingKey: string,
  m: Message,
  publicUrl: string,
): HttpRequest {
  const base = { routing_key: routingKey, dedup_key: m.key };
  const body =
    m.event === "completed"
      ? { ...base, event_action: "resolve" }
      : {
          ...base,
          event_action: "trigger",
          client: "Harness",
          client_url: publicUrl,
          payload: {
            summary:
              `${m.test ? "Harness" : `Ticket #${m.ticket.id}`} ${m.headline}: ${m.ticket.title}`.slice(
                0,
                SUMMARY_MAX,
              ),
            source: hostOf(publicUrl),
            severity: severity[m.ticket.priority] ?? "warning",
            timestamp: new Date(m.at).toISOString(),
            class: m.event,
            custom_details: {
              ticket: m.ticket.id,
              status: m.ticket.status,
              priority: m.ticket.priority,
              event: m.event,
              ...(m.detail ? { detail: m.detail } : {}),
            },
          },
          links: [{ href: m.url, text: m.test ? "Harness tickets" : `Ticket #${m.ticket.id}` }],
        };
  return { url, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The resolve that follows a test trigger, so `harness notify test` leaves no incident open. */
export const pagerdutyResolve = (url: string, routingKey: string, key: string): HttpRequest => ({
  url,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ routing_key: routingKey, dedup_key: key, event_action: "resolve" }),
});

function hostOf(url: string): string {
  try {
    return new URL(url).host || "harness";
  } catch {
    return "harness";
  }
}
