import { afterRestore, readConfig, restoreOrReload, restoreThenRestart } from "./config-steps";
import { finish, restartedSummary } from "./steps";
import type { Runbook } from "./types";

/**
 * An instance that exits at every start (the supervisor's ServiceCrashLoop): the usual cause is a limits file
 * edited outside any ticket, so the committed one is restored before every instance restarts.
 */
export const crashLoop: Runbook = {
  name: "crash-loop",
  onViolated: (_t, c, findings) => restoreThenRestart(c, findings),
  after: {
    get_config: (_t, c, r) => restoreOrReload(c, readConfig(r)),
    update_config: (_t, c, r) => afterRestore(c, r),
    restart_service: (_t, c) => finish(c.n, restartedSummary),
  },
};
