/**
 * Prometheus marks a vanished series with a staleness marker: the NaN with bit pattern
 * 0x7ff0000000000002. JavaScriptCore canonicalises every NaN it turns into a JS number (NaN
 * boxing), so that bit pattern cannot survive as a `number` in Bun; SQLite turns NaN into NULL
 * too. Inside Harness a marker is therefore a sample with `stale: true` (and `v: NaN`); the exact
 * bit pattern exists only at binary edges (remote write), and NULL in the samples table.
 */

export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

/** A sample in flight to or from the store; `stale` marks a Prometheus staleness marker. */
export interface StoredSample {
  t: number;
  v: number;
  stale?: true;
}

export function staleSample(t: number): StoredSample {
  return { t, v: Number.NaN, stale: true };
}

export function isStale(s: { stale?: boolean }): boolean {
  return s.stale === true;
}

/** Reads a little-endian double, reporting whether its bits are exactly StaleNaN. */
export function readDoubleLE(view: DataView, offset: number): { v: number; stale: boolean } {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  return { v: view.getFloat64(offset, true), stale: hi === STALE_NAN_HI && lo === STALE_NAN_LO };
}

export function writeDoubleLE(view: DataView, offset: number, v: number, stale: boolean): void {
  if (stale) {
    view.setUint32(offset, STALE_NAN_LO, true);
    view.setUint32(offset + 4, STALE_NAN_HI, true);
  } else view.setFloat64(offset, v, true);
}
