// Secrets must never reach prompts, logs, events or trajectories; everything stored passes through here.
import { secretPattern } from "./secret-forms";
import { shapeAnchors, shapes } from "./secret-shapes";

/** Literal secrets shorter than this are ignored: they would match ordinary words. */
const MIN_LITERAL_LENGTH = 6;

const escapeRegExp = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** One expression per secret, compiled once: the literal, and from 8 characters on every encoded form. */
function compileSecret(secret: string): RegExp {
  return new RegExp(secretPattern(secret) ?? escapeRegExp(secret), "g");
}

export class Redactor {
  private readonly secrets: RegExp[];
  constructor(secrets: Iterable<string | undefined> = []) {
    const known = new Set(
      [...secrets].filter((s): s is string => typeof s === "string" && s.length >= MIN_LITERAL_LENGTH),
    );
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...known].sort((a, b) => b.length - a.length).map(compileSecret);
  }

  text(input: string): string {
    let out = input;
    for (const re of this.secrets) out = out.replace(re, "[REDACTED]");
    // Most text holds none of the shapes' anchors: one scan for them spares the nine full passes.
    if (!shapeAnchors.test(out)) return out;
    for (const { re, replace } of shapes) {
      out = typeof replace === "string" ? out.replace(re, replace) : out.replace(re, replace);
    }
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
