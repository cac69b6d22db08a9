import { snappyCompress } from "../telemetry/metrics/snappy";

const MiB = 2 ** 20;

/**
 * A gzip body of a few hundred kilobytes that inflates to `decodedMiB` MiB of zeros: identical 8 MiB members,
 * concatenated (gzip readers decode every member), so building it never holds the inflated size either.
 */
export function gzipBomb(decodedMiB: number): Uint8Array {
  const member = Bun.gzipSync(new Uint8Array(8 * MiB));
  const count = Math.ceil(decodedMiB / 8);
  const out = new Uint8Array(member.length * count);
  for (let i = 0; i < count; i++) out.set(member, i * member.length);
  return out;
}

/**
 * A snappy block whose header declares `declaredMiB` MiB, followed by what a real compressor makes of 1 MiB of
 * zeros: a receiver that trusts the header allocates the declared size before it finds out.
 */
export function snappyBomb(declaredMiB: number): Uint8Array {
  const real = snappyCompress(new Uint8Array(MiB));
  let length = declaredMiB * MiB;
  const header: number[] = [];
  while (length >= 0x80) {
    header.push((length & 0x7f) | 0x80);
    length = Math.floor(length / 128);
  }
  header.push(length);
  // Drop the real block's own header (the varint for 1 MiB is 3 bytes).
  return new Uint8Array([...header, ...real.subarray(3)]);
}
