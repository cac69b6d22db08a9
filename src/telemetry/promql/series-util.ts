import type { Labels } from "../types";

// Helpers shared by the engine and its test-script runner.
export const fingerprint = (labels: Labels) =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

/** Prometheus's stale marker: a specific NaN; SQLite keeps NULL for it and NaN is not storable anyway. */
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
