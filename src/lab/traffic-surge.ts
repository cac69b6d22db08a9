import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import type { AppliedFault, FaultContext, FaultOf } from "./fault";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

/**
 * `surge`: usual traffic first, so the detector has a before; then `factor` times it from ordinary clients
 * only, still running while the lab watches. The onset is the surge's start.
 */
export async function surgeTraffic({ target }: FaultContext, f: FaultOf<"surge">): Promise<AppliedFault> {
  const base = { ...defaultShape, keys: f.keys, abusiveShare: 0, burstFactor: 1, diurnal: 0 };
  await runLoad(target, { ...base, rate: f.base_rate, durationMs: parseDuration(f.base_duration) }, 3);
  const surge = { ...base, rate: f.base_rate * f.factor, durationMs: parseDuration(f.duration) };
  return { onset: systemClock.now(), running: runLoad(target, surge, 4) };
}
