import { describe, expect, test } from "bun:test";
import { Redactor } from "../lib/redact";
import { verifySignature } from "../webhooks/receive";
import { pagerdutyRequest } from "./channels/pagerduty";
import { escapeSlack, slackRequest } from "./channels/slack";
import { webhookRequest } from "./channels/webhook";
import { clean, messageFor } from "./message";
import type { NotifyEvent } from "./model";

const secretToken = "sk-live-0123456789abcdef";
const redactor = new Redactor([secretToken]);

const message = (
  title: string,
  event: NotifyEvent = "needs_human",
  detail: string | null = "check the limits",
) =>
  messageFor({
    id: "harness-notification-7",
    event,
    ticket: { id: 12, title, priority: "P1", source: "invariant", objective: "keep it up" },
    status: event === "completed" ? "completed" : event,
    detail,
    at: Date.UTC(2026, 0, 1),
    publicUrl: "https://harness.example.com/",
    redact: (s) => redactor.text(s),
  });

const hostile = `Limit <!channel> & <https://evil.example|click here>\n*bold* ${secretToken}`;

describe("messages", () => {
  test("untrusted text is redacted, flattened to one line and capped", () => {
    const m = message(`${hostile}${"x".repeat(400)}`);
    expect(m.ticket.title).not.toContain(secretToken);
    expect(m.ticket.title).toContain("[REDACTED]");
    expect(m.ticket.title).not.toContain("\n");
    expect(m.ticket.title.length).toBeLessThanOrEqual(200);
    expect(clean("a\u0000b\u2028c\r\n  d", 50)).toBe("a b c d");
    expect(m.url).toBe("https://harness.example.com/tickets/12");
    expect(m.key).toBe("harness-ticket-12");
  });

  test("a P1 opened says what the ticket is for", () => {
    expect(message("Down", "p1_opened", null).detail).toBe("keep it up");
  });
});

describe("slack", () => {
  test("escapes &, < and > so a title can neither mention nor link", () => {
    expect(escapeSlack("<!here> & <a|b>")).toBe("&lt;!here&gt; &amp; &lt;a|b&gt;");
    const req = slackRequest("https://hooks.slack.example/T/B/x", message(hostile));
    const body = JSON.parse(req.body);
    const all = JSON.stringify(body);
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<https://evil");
    expect(all).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;");
    // The one link is ours, to the ticket page.
    expect(body.blocks[0].text.text).toStartWith(
      "*<https://harness.example.com/tickets/12|Ticket #12 needs a person>*",
    );
    expect(body.text).toStartWith("Ticket #12 needs a person: ");
  });
});

describe("generic webhook", () => {
  test("the signature is the HMAC-SHA256 of the raw body, as Harness's own receiver checks it", () => {
    const secret = "whsec-0123456789abcdef";
    const req = webhookRequest(
      "https://hooks.example.com/h",
      secret,
      message("Down"),
      Date.UTC(2026, 0, 1, 0, 5),
    );
    const headers = new Headers(req.headers);
    expect(() =>
      verifySignature(headers, new TextEncoder().encode(req.body), {
        token: "unused-token",
        hmacSecret: secret,
      }),
    ).not.toThrow();
    expect(() =>
      verifySignature(headers, new TextEncoder().encode(`${req.body} `), { token: "x", hmacSecret: secret }),
    ).toThrow();
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({
      version: 1,
      id: "harness-notification-7",
      event: "needs_human",
      sent_at: "2026-01-01T00:05:00.000Z",
      ticket: { id: 12, priority: "P1", url: "https://harness.example.com/tickets/12" },
    });
    expect(headers.get("x-harness-delivery")).toBe("harness-notification-7");
  });
});

describe("pagerduty", () => {
  test("trigger carries the ticket's dedup_key, a severity from its priority and a link", () => {
    const body = JSON.parse(
      pagerdutyRequest("https://pd", "rk", message("Down"), "https://h.example.com").body,
    );
    expect(body).toMatchObject({
      routing_key: "rk",
      event_action: "trigger",
      dedup_key: "harness-ticket-12",
      payload: { source: "h.example.com", severity: "critical", class: "needs_human" },
      links: [{ href: "https://harness.example.com/tickets/12", text: "Ticket #12" }],
    });
    expect(body.payload.summary).toBe("Ticket #12 needs a person: Down");
  });

  test("completed resolves under the same dedup_key", () => {
    const body = JSON.parse(
      pagerdutyRequest("https://pd", "rk", message("Down", "completed"), "https://h").body,
    );
    expect(body).toEqual({ routing_key: "rk", dedup_key: "harness-ticket-12", event_action: "resolve" });
  });
});
