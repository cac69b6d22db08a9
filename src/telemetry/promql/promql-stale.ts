import type { Sample } from "../types";
import { isStale } from "./series-util";

// JavaScriptCore canonicalises NaN payloads, so Prometheus's stale-marker NaN does not survive being
// stored in a variable under Bun. Sources that know a sample is a stale marker register the object here.
const staleSamples = new WeakSet<Sample>();

export function markStale(s: Sample): Sample {
  staleSamples.add(s);
  return s;
}

/** True for a registered stale marker, or for the bit-exact stale NaN on engines that keep payloads. */
export function isStaleSample(s: Sample): boolean {
  return staleSamples.has(s) || (s as { stale?: boolean }).stale === true || isStale(s.v);
}
