/**
 * Optional pseudonymisation for exports: rate-limit keys and IP addresses identify clients, so a dataset
 * that leaves the team can replace them with stable pseudonyms (HMAC-SHA256 under a salt). The same key gets
 * the same pseudonym everywhere in one export — and across exports that use the same salt — so the data
 * still shows that "this client" was denied repeatedly without saying who it was.
 */

const ipv4 = /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g;
// Full 8-group form, or a compressed form with "::" and hex groups on a side; times like 01:23:45 never match.
const ipv6 =
  /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}\b|(?<![\w:])::1\b/gi;
// A key inside JSON text (tool inputs and outputs are JSON, sometimes JSON inside JSON, hence the optional
// backslashes before the quotes), in key=value text (logs), or in a bucket path. Keys in free prose are not
// recognisable and stay as written.
const jsonKey = /((?:\\)*"key(?:\\)*"\s*:\s*(?:\\)*")([^"\\]+)((?:\\)*")/g;
const pairKey = /(\bkey=)([^\s&"',}]+)/g;
const bucketPath = /(\/v1\/buckets\/)([^\s"'?#]+)/g;

export interface Pseudonymizer {
  text(s: string): string;
  value<T>(v: T): T;
}

export function createPseudonymizer(salt: string): Pseudonymizer {
  const cache = new Map<string, string>();
  const pseudonym = (kind: "key" | "ip", v: string): string => {
    const k = `${kind}\u0000${v}`;
    let out = cache.get(k);
    if (out === undefined) {
      const h = new Bun.CryptoHasher("sha256", salt).update(k).digest("hex").slice(0, 12);
      out = `${kind}_${h}`;
      cache.set(k, out);
    }
    return out;
  };
  const text = (s: string): string =>
    s
      .replace(jsonKey, (_, a: string, v: string, b: string) => a + pseudonym("key", v) + b)
      .replace(pairKey, (_, a: string, v: string) => a + pseudonym("key", v))
      .replace(bucketPath, (_, a: string, v: string) => a + pseudonym("key", decodeURIComponentSafe(v)))
      .replace(ipv4, (m) => pseudonym("ip", m))
      .replace(ipv6, (m) => pseudonym("ip", m.toLowerCase()));
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] = k === "key" && typeof x === "string" ? pseudonym("key", x) : walk(x);
      return out;
    }
    return v;
  };
  return { text, value: <T>(v: T) => walk(v) as T };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
