import { askForConfig, readConfig, reloadCommitted } from "./config-steps";
import { call } from "./conversation";
import { finish, giveUp, restartedSummary } from "./steps";
import type { Runbook } from "./types";

/** Bound on how far the runbook raises the store's timeout on its own: past it, fail-open answers cost less. */
const storeTimeoutCeiling = 250;
/** A store may need more than one raise; each raise is bounded. */
const maxRaises = 3;

/** Doubles store.timeout_ms (within the ceiling): a slow but working store then decides again. */
export function raisedStoreTimeout(yaml: string): { content: string; from: number; to: number } | null {
  const doc = (Bun.YAML.parse(yaml) ?? {}) as { store?: { timeout_ms?: number } };
  const from = doc.store?.timeout_ms ?? 20;
  const to = Math.min(storeTimeoutCeiling, from * 2);
  if (to <= from) return null;
  return {
    content: Bun.YAML.stringify({ ...doc, store: { ...(doc.store ?? {}), timeout_ms: to } }, null, 2),
    from,
    to,
  };
}

/** The bucket store fails or times out (RateLimiterStoreErrors): give a slow store more time, within bounds. */
export const storeErrors: Runbook = {
  name: "store-errors",
  onViolated: (_t, c, findings) =>
    c.names.filter((x) => x === "update_config").length < maxRaises ? askForConfig(c, findings) : null,
  after: {
    get_config: (_t, c, r) => {
      const config = readConfig(r);
      const raised = config ? raisedStoreTimeout(config.content) : null;
      if (!raised) return reloadCommitted(c);
      return [
        call(c.n, 0, "update_config", {
          content: raised.content,
          reason: `store errors: raise store.timeout_ms ${raised.from} → ${raised.to}`,
        }),
      ];
    },
    update_config: (_t, c, r) =>
      r?.is_error
        ? giveUp(c.n, `The config change was rejected: ${r.content}`)
        : finish(c.n, "Raised the store's timeout within bounds; the service reloads it."),
    restart_service: (_t, c) => finish(c.n, restartedSummary),
  },
};
