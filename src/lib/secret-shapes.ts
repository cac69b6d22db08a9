// Credentials nobody configured still have recognisable shapes; these catch the common ones. Each is anchored
// on a vendor prefix or a structure, so ordinary log lines, queries, hashes and ids are left alone. Where a
// shape scans an unbounded run of characters, it may start only where such a run starts (a lookbehind), so
// a hostile output of repeated prefixes costs one scan, not one per prefix.

export interface Shape {
  re: RegExp;
  /** Groups a pattern leaves unmatched arrive as undefined. */
  replace: string | ((match: string, ...groups: (string | undefined)[]) => string);
}

const R = "[REDACTED]";

/** Basic credentials are base64 of `user:password`; ordinary words after "basic" decode to binary noise. */
function looksLikeBasicCredential(token: string): boolean {
  const decoded = Buffer.from(token, "base64").toString("latin1");
  return (
    (/^[\x20-\x7e]+$/.test(decoded) && decoded.includes(":")) || (/\d/.test(token) && /[a-z]/i.test(token))
  );
}

/** Matches wherever any shape below could start; text without a match skips them all. */
export const shapeAnchors =
  /PRIVATE KEY|sk-|gh[pousr]_|github_pat_|AKIA|ASIA|xox[abprs]-|eyJ|bearer|basic|api[_-]?key|token|password|secret|authorization/i;

export const shapes: Shape[] = [
  // A PEM private key: its base64 and header lines (newlines real or JSON-escaped), up to its END line if
  // the output was not cut before it.
  {
    re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:(?:\r?\n|(?:\\r)?\\n)+(?:[A-Za-z-]+: [^\n\\]*|[A-Za-z0-9+/=]+))*(?:(?:\r?\n|(?:\\r)?\\n)+-----END [A-Z0-9 ]*PRIVATE KEY-----)?/g,
    replace: R,
  },
  { re: /sk-ant-[A-Za-z0-9_-]{8,}/g, replace: R },
  // OpenAI-style keys; a digit is required so hyphenated words that happen to start with "sk-" survive.
  { re: /(?<![A-Za-z0-9_-])sk-(?:proj-)?(?=[A-Za-z0-9_-]{0,200}\d)[A-Za-z0-9_-]{20,}/g, replace: R },
  { re: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: R },
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: R },
  { re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: R },
  // JWTs: header and payload are base64url JSON objects, so both begin with `eyJ` (`{"`).
  { re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replace: R },
  { re: /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: (_m, scheme) => `${scheme} ${R}` },
  {
    re: /\b(Basic)\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/gi,
    replace: (m, scheme, token) => (looksLikeBasicCredential(token ?? "") ? `${scheme} ${R}` : m),
  },
  // `key: value`; an authorization value keeps its scheme word, the credential after it goes.
  {
    re: /\b(api[_-]?key|token|password|secret|authorization)(["']?\s*[:=]\s*["']?)((?:Bearer|Basic)\s+)?[^\s"',}]{4,}/gi,
    replace: (_m, key, sep, scheme) => `${key}${sep}${scheme ?? ""}${R}`,
  },
];
