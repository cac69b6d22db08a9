/**
 * The moments a person is told about. Each but `completed` asks for a person; `completed` (the ticket ended
 * completed, answered or cancelled) closes what an earlier message opened, such as a PagerDuty incident.
 */
export const notifyEvents = [
  "awaiting_approval",
  "needs_human",
  "failed",
  "gave_up",
  "budget_exhausted",
  "p1_opened",
  "completed",
] as const;
export type NotifyEvent = (typeof notifyEvents)[number];

export const channels = ["slack", "webhook", "pagerduty"] as const;
export type Channel = (typeof channels)[number];

const needPerson = notifyEvents.filter((e) => e !== "completed");

/** What a target hears when its `events` name none: PagerDuty also resolves the incidents it opened. */
export const defaultEvents: Record<Channel, readonly NotifyEvent[]> = {
  slack: needPerson,
  webhook: needPerson,
  pagerduty: notifyEvents,
};

/** A target's name as configured, else its channel (`slack`, then `slack-2`, …): names key the delivery log. */
export const targetName = (channel: Channel, index: number, name: string | undefined): string =>
  name ?? (index === 0 ? channel : `${channel}-${index + 1}`);

/** A configured destination, its secrets read from the environment (targets.ts). */
export interface Target {
  name: string;
  channel: Channel;
  url: string;
  /** The generic webhook's HMAC key, or PagerDuty's routing key. */
  secret: string | null;
  events: readonly NotifyEvent[];
}

/** What a message says before a channel formats it. Title and detail are untrusted text, already cleaned. */
export interface Message {
  /** Stable across retries of one delivery: receivers de-duplicate on it. */
  id: string;
  event: NotifyEvent;
  /** PagerDuty's dedup_key: one incident per ticket. */
  key: string;
  ticket: { id: number; title: string; priority: string; status: string; source: string };
  headline: string;
  detail: string | null;
  /** The ticket's dashboard page. */
  url: string;
  /** When the event happened (Unix ms). */
  at: number;
  test?: boolean;
}
