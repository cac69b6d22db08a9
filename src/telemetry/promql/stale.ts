import type { Sample } from "../types";

/** Prometheus's stale marker: a specific NaN bit pattern that ends a series for lookback purposes. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleBuf = new DataView(new ArrayBuffer(8));
staleBuf.setBigUint64(0, STALE_NAN_BITS);
export const StaleNaN = staleBuf.getFloat64(0);

export function isStale(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return b.getBigUint64(0) === STALE_NAN_BITS;
}

// JavaScriptCore canonicalises NaN payloads, so Prometheus's stale-marker NaN does not survive being
// stored in a variable under Bun. Sources that know a sample is a stale marker register the object here.
const staleSamples = new WeakSet<Sample>();

export function markStale(s: Sample): Sample {
  staleSamples.add(s);
  return s;
}

/** True for a registered stale marker, or for the bit-exact stale NaN on engines that keep payloads. */
export function isStaleSample(s: Sample): boolean {
  return staleSamples.has(s) || isStale(s.v);
}
