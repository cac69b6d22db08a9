import { readFileSync, writeFileSync } from "node:fs";
import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { type AppliedFault, type FaultContext, type FaultOf, limitsFile } from "./fault";
import { runLoad } from "./load";
import { defaultShape } from "./traffic";

/**
 * `key_explosion`: an operator shrinks the store's `max_keys`, then traffic spreads over more keys than it
 * holds. The fault (and its onset) is the keys arriving, not the shrink.
 */
export async function explodeKeys(
  { h, target }: FaultContext,
  f: FaultOf<"key_explosion">,
): Promise<AppliedFault> {
  const limits = limitsFile(h);
  const doc = (Bun.YAML.parse(readFileSync(limits, "utf8")) ?? {}) as Record<string, unknown>;
  writeFileSync(
    limits,
    Bun.YAML.stringify(
      { ...doc, store: { ...((doc.store as object) ?? {}), max_keys: f.max_keys } },
      null,
      2,
    ),
  );
  await Bun.sleep(1500); // the service reloads within a second
  const onset = systemClock.now();
  await runLoad(
    target,
    {
      ...defaultShape,
      rate: f.rate,
      durationMs: parseDuration(f.duration),
      keys: f.keys,
      zipf: 0.2,
      abusiveShare: 0,
    },
    1,
  );
  return { onset };
}
