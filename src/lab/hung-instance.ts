import { systemClock } from "../lib/clock";
import type { AppliedFault, FaultContext } from "./fault";

/** `hang`: the first ready instance stops (SIGSTOP) without exiting, so only its silence gives it away. */
export async function hangInstance({ first }: FaultContext): Promise<AppliedFault> {
  const onset = systemClock.now();
  process.kill(first.pid as number, "SIGSTOP");
  return { onset };
}
