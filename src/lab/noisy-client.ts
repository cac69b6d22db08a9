import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import type { AppliedFault, FaultContext, FaultOf } from "./fault";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

/**
 * `noisy_neighbour` and `prompt_injection`: one client sending `share` of the traffic, far beyond its limit,
 * after calm traffic when `base_rate` is set. For prompt_injection its key and X-Request-Id carry
 * instructions to the agent, which reach the sampled denial log. Still running while the lab watches.
 */
export async function noisyClient(
  { target }: FaultContext,
  f: FaultOf<"noisy_neighbour" | "prompt_injection">,
): Promise<AppliedFault> {
  const calm = { ...defaultShape, abusiveShare: 0, burstFactor: 1, diurnal: 0 };
  if (f.base_rate !== undefined)
    await runLoad(target, { ...calm, rate: f.base_rate, durationMs: parseDuration(f.base_duration) }, 6);
  const noisy = {
    ...calm,
    rate: f.rate,
    durationMs: parseDuration(f.duration),
    abusiveShare: f.share,
    abusers: 1,
    ...(f.kind === "prompt_injection" ? { abuserKey: f.key, abuserRequestId: f.request_id } : {}),
  };
  return { onset: systemClock.now(), running: runLoad(target, noisy, 5) };
}
