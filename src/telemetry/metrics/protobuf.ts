/** The few protobuf wire-format pieces remote write needs: varints, fixed64, length-delimited. */

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

export class ProtoReader {
  pos: number;
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** The low and high 32 bits of a varint (up to ten bytes), as signed 32-bit integers. */
  private varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("truncated varint");
      const b = this.buf[this.pos++] as number;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return { lo, hi };
    }
    throw new ProtobufError("varint too long");
  }

  /** Unsigned varint as a number; exact up to 2^53, which covers tags, lengths and ms timestamps. */
  uvarint(): number {
    const { lo, hi } = this.varint64();
    return (hi >>> 0) * 0x100000000 + (lo >>> 0);
  }

  /** int64 (two's complement varint, negatives take ten bytes). */
  int64(): number {
    const { lo, hi } = this.varint64();
    return hi * 0x100000000 + (lo >>> 0); // hi as signed 32-bit gives the sign
  }

  tag(): { field: number; wire: number } {
    const t = this.uvarint();
    return { field: Math.floor(t / 8), wire: t & 7 };
  }

  /** Bounds of a length-delimited field's payload; advances past it. */
  lengthDelimited(): [number, number] {
    const len = this.uvarint();
    const start = this.pos;
    if (start + len > this.end) throw new ProtobufError("length-delimited field runs past its message");
    this.pos += len;
    return [start, start + len];
  }

  string(): string {
    const [s, e] = this.lengthDelimited();
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      throw new ProtobufError("string is not valid UTF-8");
    }
  }

  fixed64Offset(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError("truncated fixed64");
    const at = this.pos;
    this.pos += 8;
    return at;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.uvarint();
        return;
      case WIRE_FIXED64:
        this.fixed64Offset();
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) throw new ProtobufError("truncated fixed32");
        this.pos += 4;
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }
}

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  n = 0;

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  uvarint(v: number): void {
    this.ensure(10);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.n++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[this.n++] = x;
  }

  /** int64 varint; negatives as 64-bit two's complement (ten bytes), as protobuf requires. */
  int64(v: number): void {
    if (v >= 0) {
      this.uvarint(v);
      return;
    }
    this.ensure(10);
    let x = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.uvarint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.n);
    this.n += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8Encoder.encode(s));
  }

  /** Writes 8 bytes via `write(view, offset)` so callers control the exact bit pattern. */
  fixed64(field: number, write: (view: DataView, offset: number) => void): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    write(this.view, this.n);
    this.n += 8;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}
