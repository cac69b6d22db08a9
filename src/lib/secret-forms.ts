// A known secret can leave in disguise: a test prints it base64-encoded, hex-dumped, URL-encoded or wrapped
// over lines. Each secret compiles once into one regular expression matching all of these forms.

/** Secrets shorter than this are matched only literally: their encoded forms collide with ordinary text. */
export const MIN_ENCODED_LENGTH = 8;

// Between any two characters: whitespace (line-wrapped base64, a secret printed with spaces inside) or its
// JSON escape, because tool output is often JSON text carrying the wrapped string.
const GAP = String.raw`(?:\s|\\[nrt])*`;

const escapeChar = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

/** A hex digit in either case: dumps come in both, and mixing them changes nothing that matters. */
const hexDigit = (d: string): string => (/[a-f]/i.test(d) ? `[${d.toLowerCase()}${d.toUpperCase()}]` : d);

const hexUnits = (bytes: Uint8Array): string[] =>
  [...bytes].flatMap((b) => [...b.toString(16).padStart(2, "0")].map(hexDigit));

/** `%XX` for each byte, gaps allowed inside too (a wrapped URL can break anywhere). */
const percentEncoded = (bytes: Uint8Array): string =>
  [...bytes].map((b) => ["%", ...[...b.toString(16).padStart(2, "0")].map(hexDigit)].join(GAP)).join(GAP);

/**
 * The literal and every URL-encoding at once: each character either as itself or as the `%XX` of its UTF-8
 * bytes, which covers encodeURIComponent, "encode every byte" and any mix of the two (and `+` for a space).
 */
function literalOrUrlUnits(secret: string): string[] {
  const encoder = new TextEncoder();
  return [...secret].map((c) => {
    const alternatives = [escapeChar(c), percentEncoded(encoder.encode(c))];
    if (c === " ") alternatives.push(String.raw`\+`);
    return `(?:${alternatives.join("|")})`;
  });
}

/** Base64 and base64url in one: the two alphabets differ only in the 62nd and 63rd characters. */
const base64Units = (b64: string): string[] =>
  [...b64].map((c) => (c === "+" || c === "-" ? "[+-]" : c === "/" || c === "_" ? "[/_]" : c));

/**
 * Base64 of the secret at the three byte alignments it can have inside a longer blob. Characters that share
 * bits with the bytes before or after depend on those bytes, so only the ones the secret alone determines
 * are kept; unaligned, that is enough to recognise it and leaves the neighbours of the blob intact.
 */
function base64Forms(bytes: Uint8Array): string[] {
  const forms: string[] = [];
  for (const prefix of [0, 1, 2]) {
    const shifted = new Uint8Array(prefix + bytes.length);
    shifted.set(bytes, prefix);
    const b64 = Buffer.from(shifted).toString("base64").replace(/=+$/, "");
    const first = Math.ceil((8 * prefix) / 6);
    const determined = Math.floor((8 * shifted.length) / 6);
    let form = base64Units(b64.slice(first, determined)).join(GAP);
    // Standing alone, the secret's own encoding ends in a partly-zero character and padding: take those too.
    // (No alternation inside the counted group: that construct drops the whole expression out of the JIT.)
    const tail = b64.slice(determined);
    if (prefix === 0 && tail) form += `(?:${GAP}${base64Units(tail).join("")}(?:${GAP}=){0,2})?`;
    forms.push(form);
  }
  return forms;
}

/** Regular-expression source matching the secret in any of the forms above, or null if it is too short. */
export function secretPattern(secret: string): string | null {
  if (secret.length < MIN_ENCODED_LENGTH) return null;
  const bytes = new TextEncoder().encode(secret);
  const forms = [literalOrUrlUnits(secret).join(GAP), hexUnits(bytes).join(GAP), ...base64Forms(bytes)];
  return forms.map((f) => `(?:${f})`).join("|");
}
