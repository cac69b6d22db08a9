/**
 * Snappy block format (not the framing format), as Prometheus remote write uses it:
 * https://github.com/google/snappy/blob/main/format_description.txt
 */

export class SnappyError extends Error {
  override name = "SnappyError";
}

/** Refuses to inflate beyond this many bytes, so a tiny body cannot claim gigabytes. */
export const DEFAULT_MAX_DECODED = 64 * 1024 * 1024;

function readUvarint(src: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    const b = src[pos + i];
    if (b === undefined) throw new SnappyError("truncated length");
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos + i + 1];
    mul *= 128;
  }
  throw new SnappyError("length varint too long");
}

/** The decoded length a block declares in its header, read without decoding anything. */
export function snappyDecodedLength(src: Uint8Array): number {
  return readUvarint(src, 0)[0];
}

// The densest element is a 3-byte copy of 64 bytes: a block cannot decode to more than 64/3 times its body.
const MAX_RATIO = 64 / 3;

export function snappyDecompress(src: Uint8Array, maxDecoded = DEFAULT_MAX_DECODED): Uint8Array {
  const [length, start] = readUvarint(src, 0);
  if (length > maxDecoded) throw new SnappyError(`decoded length ${length} exceeds limit ${maxDecoded}`);
  // Checked before allocating: a tiny body must not make us reserve the memory it claims.
  if (length > (src.length - start) * MAX_RATIO) {
    throw new SnappyError(`declared length ${length} cannot come from ${src.length - start} bytes`);
  }
  const out = new Uint8Array(length);
  let s = start;
  let d = 0;
  while (s < src.length) {
    const tag = src[s] as number;
    s++;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const extra = len - 59;
          if (s + extra > src.length) throw new SnappyError("truncated literal length");
          len = 0;
          for (let i = 0; i < extra; i++) len += (src[s + i] as number) * 2 ** (8 * i);
          s += extra;
        }
        len += 1;
        if (s + len > src.length) throw new SnappyError("literal runs past the input");
        if (d + len > length) throw new SnappyError("literal runs past the declared length");
        out.set(src.subarray(s, s + len), d);
        s += len;
        d += len;
        continue;
      }
      case 1:
        if (s + 1 > src.length) throw new SnappyError("truncated copy");
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | (src[s] as number);
        s += 1;
        break;
      case 2:
        if (s + 2 > src.length) throw new SnappyError("truncated copy");
        len = 1 + (tag >>> 2);
        offset = (src[s] as number) | ((src[s + 1] as number) << 8);
        s += 2;
        break;
      default:
        if (s + 4 > src.length) throw new SnappyError("truncated copy");
        len = 1 + (tag >>> 2);
        offset =
          ((src[s] as number) | ((src[s + 1] as number) << 8) | ((src[s + 2] as number) << 16)) +
          (src[s + 3] as number) * 0x1000000;
        s += 4;
    }
    if (offset === 0 || offset > d) throw new SnappyError(`copy offset ${offset} out of range at ${d}`);
    if (d + len > length) throw new SnappyError("copy runs past the declared length");
    // Byte by byte: source and destination may overlap (offset < len repeats a pattern).
    for (let i = 0; i < len; i++, d++) out[d] = out[d - offset] as number;
  }
  if (d !== length) throw new SnappyError(`decoded ${d} bytes, header said ${length}`);
  return out;
}

class ByteSink {
  buf: Uint8Array;
  n = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }
  push(b: number): void {
    if (this.n === this.buf.length) this.grow(1);
    this.buf[this.n++] = b;
  }
  pushBytes(bytes: Uint8Array): void {
    if (this.n + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
  }
  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + need));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}

function emitLiteral(out: ByteSink, bytes: Uint8Array): void {
  const n = bytes.length - 1;
  if (n < 60) out.push(n << 2);
  else if (n < 0x100) {
    out.push(60 << 2);
    out.push(n);
  } else if (n < 0x10000) {
    out.push(61 << 2);
    out.push(n & 0xff);
    out.push(n >>> 8);
  } else if (n < 0x1000000) {
    out.push(62 << 2);
    out.push(n & 0xff);
    out.push((n >>> 8) & 0xff);
    out.push(n >>> 16);
  } else {
    out.push(63 << 2);
    for (let i = 0; i < 4; i++) out.push((n >>> (8 * i)) & 0xff);
  }
  out.pushBytes(bytes);
}

function emitCopy(out: ByteSink, offset: number, length: number): void {
  let left = length;
  while (left > 0) {
    const n = Math.min(left, 64);
    if (n >= 4 && n <= 11 && offset < 2048) {
      out.push(1 | ((n - 4) << 2) | ((offset >>> 8) << 5));
      out.push(offset & 0xff);
    } else {
      out.push(2 | ((n - 1) << 2));
      out.push(offset & 0xff);
      out.push(offset >>> 8);
    }
    left -= n;
  }
}

const MAX_OFFSET = 0xffff;

/** Greedy LZ77 with a 4-byte hash table; valid for any snappy decoder, not tuned for ratio. */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new ByteSink(src.length + Math.ceil(src.length / 6) + 8);
  for (let v = src.length; ; v = Math.floor(v / 128)) {
    if (v < 0x80) {
      out.push(v);
      break;
    }
    out.push((v & 0x7f) | 0x80);
  }
  const table = new Int32Array(1 << 14).fill(-1);
  const load32 = (i: number) =>
    ((src[i] as number) |
      ((src[i + 1] as number) << 8) |
      ((src[i + 2] as number) << 16) |
      ((src[i + 3] as number) << 24)) >>>
    0;
  const hash = (x: number) => Math.imul(x, 0x1e35a7bd) >>> 18;
  let literalStart = 0;
  let i = 0;
  while (i + 4 <= src.length) {
    const cur = load32(i);
    const h = hash(cur);
    const cand = table[h] as number;
    table[h] = i;
    if (cand >= 0 && i - cand <= MAX_OFFSET && load32(cand) === cur) {
      let len = 4;
      while (i + len < src.length && src[cand + len] === src[i + len]) len++;
      if (literalStart < i) emitLiteral(out, src.subarray(literalStart, i));
      emitCopy(out, i - cand, len);
      i += len;
      literalStart = i;
    } else i++;
  }
  if (literalStart < src.length) emitLiteral(out, src.subarray(literalStart));
  return out.buf.slice(0, out.n);
}
