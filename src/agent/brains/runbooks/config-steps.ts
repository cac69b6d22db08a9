import type { ContentBlock } from "../../types";
import { type Conversation, call, say, type ToolResult } from "./conversation";
import { finish, giveUp } from "./steps";

/** Steps of the runbooks that read and change the limits file (limits.yaml). */

export interface ConfigView {
  content: string;
  committed: string | null;
  uncommitted_change: boolean;
  /** The limits at the ticket's last known good revision, when they differ from the committed ones. */
  last_known_good?: { commit: string; content: string } | null;
}

/**
 * The limits to go back to, if any: the committed file when the live one was edited outside a ticket, else the
 * file at the last known good revision.
 */
export function knownGoodLimits(config: ConfigView): { content: string; source: string } | null {
  if (config.uncommitted_change && config.committed)
    return {
      content: config.committed,
      source: "the committed limits (the live file was edited outside any ticket)",
    };
  if (config.last_known_good)
    return {
      content: config.last_known_good.content,
      source: `the limits of ${config.last_known_good.commit.slice(0, 12)}, the last known good revision`,
    };
  return null;
}

/** The get_config answer; null when the call failed. */
export const readConfig = (r: ToolResult | undefined): ConfigView | null =>
  r && !r.is_error ? (JSON.parse(r.content) as ConfigView) : null;

export const askForConfig = (c: Conversation, findings: string[]): ContentBlock[] => [
  say(`Config-related criteria are violated:\n${findings.join("\n")}`),
  call(c.n, 0, "get_config", {}),
];

/** Every instance reloads the committed file on a restart. */
export const reloadCommitted = (c: Conversation): ContentBlock[] => [
  call(c.n, 0, "restart_service", { reason: "reload the committed config on every instance" }),
];

/** An out-of-band edit of the limits (the usual cause of crash loops and reload failures): restore them. */
export function restoreOrReload(c: Conversation, config: ConfigView | null): ContentBlock[] {
  if (config?.uncommitted_change && config.committed) {
    return [
      call(c.n, 0, "update_config", {
        content: config.committed,
        reason: "restore the last committed limits; the file was changed outside any ticket",
      }),
    ];
  }
  return reloadCommitted(c);
}

/** After the limits were restored: every instance restarts on them. */
export function afterRestore(c: Conversation, r: ToolResult | undefined): ContentBlock[] {
  if (r?.is_error) return giveUp(c.n, `The config change was rejected: ${r.content}`);
  if (!c.names.includes("restart_service"))
    return [call(c.n, 0, "restart_service", { reason: "start every instance on the restored limits" })];
  return finish(c.n, "Restored the committed limits; the service reloads them.");
}

/** Restores the limits if they were edited outside a ticket, then restarts every instance on them. */
export function restoreThenRestart(c: Conversation, findings: string[]): ContentBlock[] | null {
  if (!c.names.includes("get_config")) return askForConfig(c, findings);
  if (c.names.includes("restart_service")) return null;
  return [
    say(`Availability criteria are violated:\n${findings.join("\n")}`),
    call(c.n, 0, "restart_service", { reason: "instance down or not answering scrapes" }),
  ];
}
