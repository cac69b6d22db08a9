/**
 * An incremental HTTP/1.1 request parser (RFC 9112), free of I/O: bytes go in with `push`, complete
 * requests come out of `next`. Framing is strict where leniency lets two parsers disagree about where a
 * request ends (request smuggling): CRLF line ends only, no obs-fold, no whitespace before a header's
 * colon, one Content-Length, and never Content-Length with Transfer-Encoding.
 */

const EMPTY = Buffer.alloc(0);

/**
 * What a request head says: a pure function of its bytes, so a connection that sends the same head again
 * (a keep-alive client with a fixed header set and body size) reuses it instead of parsing it again.
 */
export interface ParsedHead {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly http10: boolean;
  readonly keepAlive: boolean;
  /** The head as latin1 text, and per header where its name starts and ends and its trimmed value. */
  readonly text: string;
  readonly spans: readonly number[];
  /** Body length from Content-Length; -1: chunked. */
  readonly length: number;
  readonly expectContinue: boolean;
}

/** One parsed request. The body stays in the connection's buffer until it is asked for. */
export class HttpRequest {
  /** Set once the body has arrived. */
  bodyBuf: Buffer = EMPTY;
  bodyStart = 0;
  bodyEnd = 0;
  readonly method: string;
  /** The request target as sent (origin-form, or absolute-form reduced to its path and query). */
  readonly target: string;
  readonly path: string;
  readonly query: string;
  readonly http10: boolean;
  readonly keepAlive: boolean;

  private list: string[] | undefined;

  /** What the head said; shared by every request that repeated it. */
  constructor(readonly head: ParsedHead) {
    this.method = head.method;
    this.target = head.target;
    this.path = head.path;
    this.query = head.query;
    this.http10 = head.http10;
    this.keepAlive = head.keepAlive;
  }

  /**
   * Names as sent, values trimmed, in the order received: name, value, name, value, … Cut from the head
   * only when asked for: the hot route never looks, and the strings cost more than the rest of parsing.
   */
  get headers(): string[] {
    if (!this.list) {
      const h = this.head.text;
      const sp = this.head.spans;
      const list: string[] = [];
      for (let i = 0; i < sp.length; i += 4)
        list.push(h.slice(sp[i], sp[i + 1]), h.slice(sp[i + 2], sp[i + 3]));
      this.list = list;
    }
    return this.list;
  }

  get bodyLength(): number {
    return this.bodyEnd - this.bodyStart;
  }

  /** The body as UTF-8 text, decoded straight from the buffer. */
  text(): string {
    return this.bodyBuf.toString("utf8", this.bodyStart, this.bodyEnd);
  }

  /** A copy of the body's bytes, safe to keep. */
  bytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.bodyBuf.subarray(this.bodyStart, this.bodyEnd));
  }
}

export type ParseEvent =
  | { type: "request"; request: HttpRequest }
  /** The client sent `Expect: 100-continue` and waits for a 100 before it sends the body. */
  | { type: "continue" }
  /**
   * The stream cannot be read further: answer `status` and close. `discard` bytes of a body the
   * client is still sending may be read and dropped first, so it reads the answer instead of a reset
   * (-1: a chunked body of unknown length; 0: nothing to drop).
   */
  | { type: "error"; status: number; message: string; discard: number };

export interface ParserLimits {
  /** Request line and headers together. */
  maxHeadBytes: number;
  /** Decoded body. */
  maxBodyBytes: number;
}

const CRLF = Buffer.from("\r\n");
const CRLFCRLF = Buffer.from("\r\n\r\n");
// Heads up to this size are remembered per connection to skip parsing a repeat.
const REPEAT_MAX = 512;
const tchar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// The same, sticky: matched in place at lastIndex, so a header name is checked without cutting it out.
const tcharAt = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
// Control characters other than HTAB, and CR or LF anywhere but in a CRLF pair.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const badHeadBytes = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly discard = 0,
  ) {
    super(message);
  }
}

/** A header's value by its lower-case name (the first, for repeated names), or undefined. */
export function headerOf(req: HttpRequest, name: string): string | undefined {
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) {
    const n = h[i] as string;
    if (n.length === name.length && (n === name || n.toLowerCase() === name)) return h[i + 1];
  }
  return undefined;
}

/**
 * The header name at `at` in `text` equals `name` (lower case letters and `-`) ignoring case, without
 * cutting it out. Only for a name already checked against tchar: among tchar, only `A`–`Z` fold onto a
 * letter with `| 0x20`. The caller has matched the length.
 */
function isNamed(text: string, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++)
    if ((text.charCodeAt(at + i) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function splitTarget(target: string): { path: string; query: string; target: string } {
  let t = target;
  if (t.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (RFC 9112 3.2.2): servers must accept it; only its path and query matter here.
    const m = /^https?:\/\/[^/?#]*/i.exec(t);
    if (!m) throw new Refused(400, "request target must be a path");
    t = t.slice(m[0].length) || "/";
    if (t.charCodeAt(0) !== 47) t = `/${t}`;
  }
  const q = t.indexOf("?");
  return q < 0
    ? { path: t, query: "", target: t }
    : { path: t.slice(0, q), query: t.slice(q + 1), target: t };
}

export function parseHead(text: string, limits: ParserLimits): ParsedHead {
  if (badHeadBytes.test(text)) throw new Refused(400, "control character or bare CR/LF in the request head");
  // Request line: method SP target SP version, with exactly two spaces.
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  const sp1 = text.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : text.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > eol || text.lastIndexOf(" ", eol) !== sp2 || sp2 === sp1 + 1)
    throw new Refused(400, "malformed request line");
  const method = text.slice(0, sp1);
  if (!tchar.test(method)) throw new Refused(400, "malformed request line");
  const version = text.slice(sp2 + 1, eol);
  const http10 = version === "HTTP/1.0";
  if (!http10 && version !== "HTTP/1.1") {
    if (/^HTTP\/\d\.\d$/.test(version)) throw new Refused(505, `${version} is not supported; use HTTP/1.1`);
    throw new Refused(400, "malformed request line");
  }
  const { path, query, target } = splitTarget(text.slice(sp1 + 1, sp2));
  const spans: number[] = [];
  let length: string | undefined;
  let te: string | undefined;
  let connection: string | undefined;
  let expect: string | undefined;
  let hosts = 0;
  let at = eol + 2;
  while (at < text.length) {
    let end = text.indexOf("\r\n", at);
    if (end < 0) end = text.length;
    const c0 = text.charCodeAt(at);
    if (c0 === 32 || c0 === 9) throw new Refused(400, "obsolete line folding in a header");
    const colon = text.indexOf(":", at);
    tcharAt.lastIndex = at;
    if (!(colon > at && colon < end && tcharAt.test(text) && tcharAt.lastIndex === colon))
      throw new Refused(
        400,
        `malformed header line ${JSON.stringify(text.slice(at, Math.min(end, at + 40)))}`,
      );
    // The value without optional whitespace around it.
    let v0 = colon + 1;
    let v1 = end;
    while (v0 < v1 && (text.charCodeAt(v0) === 32 || text.charCodeAt(v0) === 9)) v0++;
    while (v1 > v0 && (text.charCodeAt(v1 - 1) === 32 || text.charCodeAt(v1 - 1) === 9)) v1--;
    spans.push(at, colon, v0, v1);
    switch (colon - at) {
      case 4:
        if (isNamed(text, at, "host")) hosts++;
        break;
      case 6:
        if (isNamed(text, at, "expect")) expect = text.slice(v0, v1).toLowerCase();
        break;
      case 10:
        if (isNamed(text, at, "connection")) {
          const value = text.slice(v0, v1).toLowerCase();
          connection = connection === undefined ? value : `${connection},${value}`;
        }
        break;
      case 14:
        if (isNamed(text, at, "content-length")) {
          const value = text.slice(v0, v1);
          if (!/^\d{1,15}$/.test(value)) throw new Refused(400, "content-length must be a number");
          if (length !== undefined && length !== value)
            throw new Refused(400, "conflicting content-length headers");
          length = value;
        }
        break;
      case 17:
        if (isNamed(text, at, "transfer-encoding")) {
          const value = text.slice(v0, v1);
          te = te === undefined ? value : `${te}, ${value}`;
        }
        break;
    }
    at = end + 2;
  }
  if (hosts > 1) throw new Refused(400, "more than one host header");
  if (hosts === 0 && !http10) throw new Refused(400, "HTTP/1.1 requests need a host header");
  let bodyLength = length === undefined ? 0 : Number(length);
  if (te !== undefined) {
    if (length !== undefined) throw new Refused(400, "content-length together with transfer-encoding");
    if (http10) throw new Refused(400, "transfer-encoding in an HTTP/1.0 request");
    if (te.toLowerCase() !== "chunked") throw new Refused(501, `transfer-encoding "${te}" is not supported`);
    bodyLength = -1;
  }
  if (bodyLength > limits.maxBodyBytes)
    throw new Refused(413, `body larger than ${limits.maxBodyBytes} bytes`, bodyLength);
  if (expect !== undefined && expect !== "100-continue")
    throw new Refused(417, `expectation "${expect}" is not supported`);
  let keepAlive = !http10;
  if (connection !== undefined) {
    const tokens = connection.split(",").map(trimOws);
    keepAlive = http10 ? tokens.includes("keep-alive") : !tokens.includes("close");
  }
  return {
    method,
    target,
    path,
    query,
    http10,
    keepAlive,
    text,
    spans,
    length: bodyLength,
    expectContinue: expect === "100-continue" && bodyLength !== 0,
  };
}

/** One connection's request stream. Not reusable after an error event. */
export class RequestParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private scanned = 0; // where the search for the end of the head resumes
  // The request whose head has been read and whose body is awaited.
  private request: HttpRequest | undefined;
  // The last head parsed and its bytes: a repeated head is compared, not parsed (it is most of parsing).
  private last: ParsedHead | undefined;
  private lastBytes: Buffer = EMPTY;
  private lastLength = 0;
  private bodyStart = 0;
  private continued = false;
  // Chunked bodies are decoded in place as chunks complete, so a slow sender costs linear time.
  private chunkAt = 0;
  private pieces: Buffer[] = [];
  private decoded = 0;
  private inTrailers = false;
  private failed = false;

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received and not yet consumed by a request. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** True between requests: nothing of a next request has arrived. */
  get idle(): boolean {
    return this.request === undefined && this.buffered === 0;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
      this.scanned = 0;
      return;
    }
    const rest = this.buf.subarray(this.pos);
    this.rebase(this.pos);
    this.buf = Buffer.concat([rest, chunk]);
    this.pos = 0;
  }

  next(): ParseEvent | undefined {
    if (this.failed) return undefined;
    try {
      return this.step();
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      this.failed = true;
      const got = this.buf.length - this.bodyStart;
      return {
        type: "error",
        status: err.status,
        message: err.message,
        discard: err.discard > 0 ? Math.max(0, err.discard - got) : err.discard,
      };
    }
  }

  private rebase(by: number): void {
    this.scanned -= by;
    this.bodyStart -= by;
    this.chunkAt -= by;
  }

  private step(): ParseEvent | undefined {
    if (!this.request) {
      // RFC 9112 2.2: ignore empty lines before a request line.
      while (this.buf[this.pos] === 13 && this.buf[this.pos + 1] === 10) this.pos += 2;
      if (this.pos >= this.buf.length) return undefined;
      const end = this.buf.indexOf(CRLFCRLF, Math.max(this.pos, this.scanned));
      if (end < 0) {
        this.scanned = Math.max(this.pos, this.buf.length - 3);
        if (this.buf.length - this.pos > this.limits.maxHeadBytes)
          throw new Refused(431, `request head larger than ${this.limits.maxHeadBytes} bytes`);
        return undefined;
      }
      if (end - this.pos > this.limits.maxHeadBytes)
        throw new Refused(431, `request head larger than ${this.limits.maxHeadBytes} bytes`);
      this.bodyStart = end + 4; // before parsing: a refusal counts the body bytes already here
      this.request = new HttpRequest(this.repeated(end) ?? this.parsed(end));
      this.chunkAt = this.bodyStart;
      this.continued = false;
    }
    const req = this.request;
    const head = req.head;
    const done = head.length >= 0 ? this.fixedBody(req, head.length) : this.chunkedBody(req);
    if (!done) {
      if (head.expectContinue && !this.continued && this.buf.length === this.bodyStart) {
        this.continued = true;
        return { type: "continue" };
      }
      return undefined;
    }
    this.request = undefined;
    this.scanned = this.pos;
    return { type: "request", request: req };
  }

  /** The last head again, when the bytes from `pos` to `end` are the same as its bytes. */
  private repeated(end: number): ParsedHead | undefined {
    const n = end - this.pos;
    if (this.last === undefined || n !== this.lastLength) return undefined;
    const buf = this.buf;
    const last = this.lastBytes;
    const at = this.pos;
    for (let i = 0; i < n; i++) if (buf[at + i] !== last[i]) return undefined;
    return this.last;
  }

  private parsed(end: number): ParsedHead {
    const head = parseHead(this.buf.toString("latin1", this.pos, end), this.limits);
    const n = end - this.pos;
    // Only short heads are kept for comparing: a copy into one small buffer per connection.
    if (n <= REPEAT_MAX) {
      if (this.lastBytes.length === 0) this.lastBytes = Buffer.allocUnsafe(REPEAT_MAX);
      this.buf.copy(this.lastBytes, 0, this.pos, end);
      this.lastLength = n;
      this.last = head;
    } else this.last = undefined;
    return head;
  }

  private fixedBody(req: HttpRequest, length: number): boolean {
    if (this.buf.length - this.bodyStart < length) return false;
    this.pos = this.bodyStart + length;
    if (length > 0) {
      req.bodyBuf = this.buf;
      req.bodyStart = this.bodyStart;
      req.bodyEnd = this.pos;
    }
    return true;
  }

  private chunkedBody(req: HttpRequest): boolean {
    const buf = this.buf;
    for (;;) {
      const eol = buf.indexOf(CRLF, this.chunkAt);
      if (eol < 0) {
        if (buf.length - this.chunkAt > (this.inTrailers ? this.limits.maxHeadBytes : 1024))
          throw new Refused(400, this.inTrailers ? "trailer section too large" : "chunk size line too long");
        return false;
      }
      if (this.inTrailers) {
        const line = eol === this.chunkAt;
        this.chunkAt = eol + 2;
        if (!line) continue; // a trailer field: read and dropped
        this.pos = this.chunkAt;
        req.bodyBuf = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces);
        req.bodyEnd = req.bodyBuf.length;
        this.pieces = [];
        this.decoded = 0;
        this.inTrailers = false;
        return true;
      }
      const sizeLine = buf.toString("latin1", this.chunkAt, eol);
      const m = /^([0-9A-Fa-f]{1,8})(?:[ \t]*;.*)?$/.exec(sizeLine);
      if (!m) throw new Refused(400, "malformed chunk size");
      const size = Number.parseInt(m[1] as string, 16);
      if (size === 0) {
        this.chunkAt = eol + 2;
        this.inTrailers = true;
        continue;
      }
      if (this.decoded + size > this.limits.maxBodyBytes)
        throw new Refused(413, `body larger than ${this.limits.maxBodyBytes} bytes`, -1);
      const dataStart = eol + 2;
      if (buf.length < dataStart + size + 2) return false;
      if (buf[dataStart + size] !== 13 || buf[dataStart + size + 1] !== 10)
        throw new Refused(400, "chunk data not followed by CRLF");
      this.pieces.push(buf.subarray(dataStart, dataStart + size));
      this.decoded += size;
      this.chunkAt = dataStart + size + 2;
    }
  }
}
