// Secrets must never reach prompts, logs, events or trajectories; everything stored passes through here.
const patterns: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(api[_-]?key|token|password|secret|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi,
];

export class Redactor {
  private readonly literals: string[];
  constructor(secrets: Iterable<string | undefined> = []) {
    this.literals = [...secrets].filter((s): s is string => typeof s === "string" && s.length >= 6);
  }

  text(input: string): string {
    let out = input;
    for (const lit of this.literals) out = out.split(lit).join("[REDACTED]");
    out = out.replace(patterns[0] as RegExp, "[REDACTED]");
    out = out.replace(patterns[1] as RegExp, (_m, scheme: string) => `${scheme} [REDACTED]`);
    out = out.replace(patterns[2] as RegExp, (_m, key: string, sep: string) => `${key}${sep}[REDACTED]`);
    return out;
  }

  /** Deep-redacts a JSON-like value; keys that name secrets lose their values entirely. */
  value<T>(input: T): T {
    return this.walk(input) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === "string") return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = /^(authorization|api[_-]?key|token|password|secret)$/i.test(k) ? "[REDACTED]" : this.walk(x);
      }
      return out;
    }
    return v;
  }
}
