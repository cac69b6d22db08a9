import type { Ticket } from "../tickets/model";
import type { Message, NotifyEvent } from "./model";

const headlines: Record<NotifyEvent, string> = {
  awaiting_approval: "waits for approval",
  needs_human: "needs a person",
  failed: "failed",
  gave_up: "the agent gave up",
  budget_exhausted: "ran out of budget",
  p1_opened: "P1 opened",
  completed: "ended",
};

/** Control characters and runs of whitespace become one space: a title cannot forge lines in a message. */
export function clean(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export const ticketUrl = (publicUrl: string, id: number): string =>
  `${publicUrl.replace(/\/+$/, "")}/tickets/${id}`;

export interface MessageInput {
  id: string;
  event: NotifyEvent;
  ticket: Pick<Ticket, "id" | "title" | "priority" | "source" | "objective">;
  /** The status the event moved the ticket to (the ticket may have moved on since). */
  status: string;
  detail: string | null;
  at: number;
  publicUrl: string;
  /** The harness's redactor: ticket text may quote a secret the store did not know of then. */
  redact: (text: string) => string;
}

/** Everything a channel needs, with the untrusted text redacted, flattened and capped. */
export function messageFor(m: MessageInput): Message {
  const detail = m.detail ?? (m.event === "p1_opened" ? m.ticket.objective : null);
  const headline = m.event === "completed" ? `${headlines.completed} ${m.status}` : headlines[m.event];
  return {
    id: m.id,
    event: m.event,
    key: `harness-ticket-${m.ticket.id}`,
    ticket: {
      id: m.ticket.id,
      title: clean(m.redact(m.ticket.title), 200),
      priority: m.ticket.priority,
      status: m.status,
      source: m.ticket.source,
    },
    headline,
    detail: detail === null ? null : clean(m.redact(detail), 500),
    url: ticketUrl(m.publicUrl, m.ticket.id),
    at: m.at,
  };
}

/** What `harness notify test` sends: a message about no ticket, linking to the ticket list. */
export function testMessage(publicUrl: string, now: number): Message {
  return {
    id: `harness-test-${now}`,
    event: "needs_human",
    key: `harness-test-${now}`,
    ticket: {
      id: 0,
      title: "Test notification from Harness",
      priority: "P4",
      status: "test",
      source: "human",
    },
    headline: "test message",
    detail: "Sent by `harness notify test`: this target is configured correctly.",
    url: `${publicUrl.replace(/\/+$/, "")}/tickets`,
    at: now,
    test: true,
  };
}
