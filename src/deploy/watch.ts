import type { Clock } from "../lib/clock";
import type { Supervisor } from "../supervisor/supervisor";
import { burnAfterDeploy, type SloHealth } from "./slo-gate";

export interface WatchRun {
  clock: Clock;
  supervisor: Pick<Supervisor, "status">;
  /** How long the promoted version is watched. */
  ms: number;
  /** The SLOs' health before the deploy; none: only the instances are watched. */
  before: SloHealth[];
  /** The SLOs' health now (an error counts as no data). */
  health: () => Promise<SloHealth[]>;
}

/**
 * The watch stage: the promoted version must keep every instance up and start no SLO burning for `ms`.
 * Returns what went wrong, or null when the version held.
 */
export async function watchPromoted(run: WatchRun): Promise<string | null> {
  const { clock } = run;
  const end = clock.now() + run.ms;
  // The SLOs are read once a second, not every poll: each read is a round of queries.
  let nextSloCheck = clock.now() + 1_000;
  for (;;) {
    const bad = run.supervisor
      .status()
      .find((i) => i.state === "backoff" || i.state === "crash_loop" || i.state === "stopped");
    if (bad) return `${bad.name} is ${bad.state} after the deploy`;
    const last = clock.now() >= end;
    if (run.before.length > 0 && (last || clock.now() >= nextSloCheck)) {
      nextSloCheck = clock.now() + 1_000;
      const burning = burnAfterDeploy(run.before, await run.health().catch(() => []));
      if (burning) return burning;
    }
    if (last) return null;
    await clock.sleep(200);
  }
}
