// Go string literal semantics: PromQL strings are Go strings, so escapes like `\xc5` produce raw
// bytes that may not be valid UTF-8. Invalid bytes are kept as lone surrogates U+DC80..U+DCFF
// ("surrogate escape") so validity checks and error messages can still see them.

const simple: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function decodeBytes(bytes: number[]): string {
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return bytes.map((b) => (b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b))).join("");
  }
}

/** Unquotes a PromQL string literal ("...", '...' or `...`). */
export function goUnquote(lit: string): string {
  const q = lit[0];
  const body = lit.slice(1, -1);
  if (q === "`") return body;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      const cp = body.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      continue;
    }
    const e = body[++i] ?? "";
    if (e in simple) bytes.push(...encoder.encode(simple[e] as string));
    else if (e === "x") {
      bytes.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      bytes.push(...encoder.encode(String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + n), 16))));
      i += n;
    } else if (/[0-7]/.test(e)) {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8) & 0xff);
      i += 2;
    } else throw new Error(`invalid escape \\${e}`);
  }
  return decodeBytes(bytes);
}

/** Whether a string holds bytes that were not valid UTF-8 in the literal. */
export const hasInvalidUtf8 = (s: string): boolean => /[\uDC80-\uDCFF]/u.test(s) || s.includes("\uFFFD");

/** Go's %q: a double-quoted string with invalid bytes shown as `\xNN`. */
export const goQuote = (s: string): string =>
  JSON.stringify(s).replace(/\\udc([89a-f][0-9a-f])/gi, (_m, h: string) => `\\x${h.toLowerCase()}`);
