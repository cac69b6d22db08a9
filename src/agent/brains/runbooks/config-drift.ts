import { afterRestore, readConfig, restoreOrReload, restoreThenRestart } from "./config-steps";
import { finish, restartedSummary } from "./steps";
import type { Runbook } from "./types";

/**
 * Instances on different configs, or a reload the service rejected (RateLimiterConfigDrift,
 * RateLimiterConfigReloadFailing): a half-applied or invalid edit. The committed limits are restored if the
 * file was changed outside any ticket, then every instance restarts on the same file.
 */
export const configDrift: Runbook = {
  name: "config-drift",
  onViolated: (_t, c, findings) => restoreThenRestart(c, findings),
  after: {
    get_config: (_t, c, r) => restoreOrReload(c, readConfig(r)),
    update_config: (_t, c, r) => afterRestore(c, r),
    restart_service: (_t, c) => finish(c.n, restartedSummary),
  },
};
