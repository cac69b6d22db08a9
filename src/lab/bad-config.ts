import { writeFileSync } from "node:fs";
import { systemClock } from "../lib/clock";
import { type AppliedFault, type FaultContext, type FaultOf, limitsFile } from "./fault";

/** `bad_config`: a broken limits file, which the first ready instance reads when it restarts. */
export async function breakConfig(
  { h, first }: FaultContext,
  f: FaultOf<"bad_config">,
): Promise<AppliedFault> {
  const onset = systemClock.now();
  writeFileSync(limitsFile(h), f.content);
  await Bun.sleep(1500); // the running instance rejects the reload and keeps its config…
  process.kill(first.pid as number, "SIGKILL"); // …until it restarts and reads the broken file
  return { onset };
}
