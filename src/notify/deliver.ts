import { pagerdutyRequest } from "./channels/pagerduty";
import { slackRequest } from "./channels/slack";
import { webhookRequest } from "./channels/webhook";
import type { Message, Target } from "./model";
import { type HttpRequest, type SendDeps, type SendResult, send } from "./send";

/** The request a target's channel makes of a message. */
export function requestFor(target: Target, m: Message, publicUrl: string, now: number): HttpRequest {
  switch (target.channel) {
    case "slack":
      return slackRequest(target.url, m);
    case "webhook":
      return webhookRequest(target.url, target.secret ?? "", m, now);
    case "pagerduty":
      return pagerdutyRequest(target.url, target.secret ?? "", m, publicUrl);
  }
}

/** One attempt to tell one target. */
export function deliver(target: Target, m: Message, publicUrl: string, deps: SendDeps): Promise<SendResult> {
  return send(requestFor(target, m, publicUrl, deps.clock.now()), deps);
}
