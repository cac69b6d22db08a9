import { askForConfig, knownGoodLimits, readConfig, reloadCommitted } from "./config-steps";
import { call } from "./conversation";
import { finish, giveUp, restartedSummary } from "./steps";
import type { Runbook } from "./types";

/** Bound on how far the runbook raises the key capacity on its own. */
const maxKeysCeiling = 1_000_000;
/** Headroom may need more than one raise while the load still grows; each raise is bounded. */
const maxRaises = 3;

/** store.max_keys of a limits file (the service's default when unset). */
export function maxKeysOf(yaml: string): number {
  const doc = (Bun.YAML.parse(yaml) ?? {}) as { store?: { max_keys?: number } };
  return doc.store?.max_keys ?? 100_000;
}

/** Raises store.max_keys by half (within the ceiling), keeping everything else in the file as it is. */
export function raisedKeyCapacity(yaml: string): { content: string; from: number; to: number } | null {
  const doc = (Bun.YAML.parse(yaml) ?? {}) as { store?: { max_keys?: number } };
  const from = doc.store?.max_keys ?? 100_000;
  const to = Math.min(maxKeysCeiling, Math.ceil(from * 1.5));
  if (to <= from) return null;
  return {
    content: Bun.YAML.stringify({ ...doc, store: { ...(doc.store ?? {}), max_keys: to } }, null, 2),
    from,
    to,
  };
}

/** Tracked keys near the store's capacity (RateLimiterKeyHeadroomLow): raise max_keys, within bounds. */
export const keyHeadroom: Runbook = {
  name: "key-headroom",
  onViolated: (_t, c, findings) =>
    c.names.filter((x) => x === "update_config").length < maxRaises ? askForConfig(c, findings) : null,
  after: {
    get_config: (_t, c, r) => {
      const config = readConfig(r);
      // Back to the last known good limits when they held more keys: a shrink is undone, not built upon.
      const good = config ? knownGoodLimits(config) : null;
      if (config && good && maxKeysOf(good.content) > maxKeysOf(config.content)) {
        return [
          call(c.n, 0, "update_config", {
            content: good.content,
            reason: `key headroom low: restore ${good.source}, store.max_keys ${maxKeysOf(config.content)} → ${maxKeysOf(good.content)}`,
          }),
        ];
      }
      const raised = config ? raisedKeyCapacity(config.content) : null;
      if (!raised) return reloadCommitted(c);
      return [
        call(c.n, 0, "update_config", {
          content: raised.content,
          reason: `key headroom low: raise store.max_keys ${raised.from} → ${raised.to}`,
        }),
      ];
    },
    update_config: (_t, c, r) => {
      if (r?.is_error) return giveUp(c.n, `The config change was rejected: ${r.content}`);
      // The summary says what the call did, from its own input: a restore is not called a raise.
      const input = c.last?.calls.find((x) => x.name === "update_config")?.input as
        | { reason?: unknown }
        | undefined;
      const reason = String(input?.reason ?? "");
      return finish(
        c.n,
        reason.includes("restore")
          ? `Restored the last known good limits (${reason.replace(/^key headroom low: restore /, "")}); the service reloads them.`
          : "Raised the store's key capacity within bounds; the service reloads it.",
      );
    },
    restart_service: (_t, c) => finish(c.n, restartedSummary),
  },
};
