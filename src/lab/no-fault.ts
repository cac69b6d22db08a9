import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import type { AppliedFault, FaultContext, FaultOf } from "./fault";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

/** `none`, the control: ordinary traffic for `duration` and nothing else; any ticket it opens is false. */
export async function noFault({ target }: FaultContext, f: FaultOf<"none">): Promise<AppliedFault> {
  const onset = systemClock.now();
  await runLoad(
    target,
    {
      ...defaultShape,
      rate: 50,
      durationMs: parseDuration(f.duration),
      keys: 50,
      abusiveShare: 0,
      burstFactor: 1,
    },
    2,
  );
  return { onset };
}
