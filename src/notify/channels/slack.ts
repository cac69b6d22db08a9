import type { Message } from "../model";
import type { HttpRequest } from "../send";

/** Slack's mrkdwn control characters, escaped as Slack documents: `<` and `>` would open links and mentions. */
export const escapeSlack = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A Slack incoming webhook: `{text, blocks}`; `text` is the fallback shown in notifications. */
export function slackRequest(url: string, m: Message): HttpRequest {
  const title = escapeSlack(m.ticket.title);
  const head = m.test ? `Harness: ${m.headline}` : `Ticket #${m.ticket.id} ${m.headline}`;
  const lines = [`*<${m.url}|${escapeSlack(head)}>*`, title];
  if (m.detail) lines.push(`> ${escapeSlack(m.detail)}`);
  const body = {
    text: `${escapeSlack(head)}: ${title}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: escapeSlack(`${m.ticket.priority} · ${m.ticket.source} · ${m.ticket.status}`),
          },
        ],
      },
    ],
  };
  return { url, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
