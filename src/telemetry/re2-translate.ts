// Go's RE2 syntax, which Prometheus and Loki take, written as a JavaScript pattern (for the `u` flag). RE2-only
// syntax (\Q…\E, (?P<name>…), POSIX classes, \z, inline flags anywhere, (?U)) is translated; what RE2 refuses
// (lookarounds, backreferences) is refused here too, with Go's wording.

/** A pattern RE2 would refuse, or that JavaScript cannot express; reported like Go's regexp errors. */
export class RegexSyntaxError extends SyntaxError {}

/** The JavaScript pattern for `source`; `dotAll` starts with RE2's `s` flag on. */
export function translateRe2(source: string, dotAll: boolean): string {
  return new Translator(source, { i: false, m: false, s: dotAll, U: false }).run();
}

interface Flags {
  /** Case-insensitive: left to JavaScript, through `(?i:…)` modifier groups. */
  i: boolean;
  /** `^` and `$` also at newlines. */
  m: boolean;
  /** `.` also matches a newline. */
  s: boolean;
  /** Ungreedy: `*` means `*?` and back. */
  U: boolean;
}

/** One open group: the flags to restore at its `)` and the wrappers opened for inline flags in this branch. */
interface Frame {
  saved: Flags;
  /** Whether the emitted JavaScript is case-insensitive before the group, and at the start of each branch. */
  outerI: boolean;
  branchI: boolean;
  wraps: number;
}

const posixClasses: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-\\x60{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** RE2's `\s` is ASCII whitespace without `\v`; JavaScript's is all of Unicode's. */
const re2Space = "\\t\\n\\f\\r ";

/** Escapes outside a class that always mean the same; `\A` and `\z` hold at the text's ends, as in RE2. */
const fixedEscapes: Record<string, string> = {
  A: "(?<![^])",
  z: "(?![^])",
  b: "\\b",
  B: "\\B",
  d: "\\d",
  D: "\\D",
  w: "\\w",
  W: "\\W",
  s: `[${re2Space}]`,
  S: `[^${re2Space}]`,
};

const singleEscapes: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Characters that need a backslash to be literal in JavaScript (with `u`, nothing else may take one). */
const jsSyntax = new Set("^$\\.*+?()[]{}|/");

const literal = (c: string) => (jsSyntax.has(c) ? `\\${c}` : c);
const classLiteral = (c: string) => ("\\]^-[".includes(c) ? `\\${c}` : c);

class Translator {
  private pos = 0;
  private out = "";
  private frames: Frame[] = [];
  private top: Frame;
  /** Whether the JavaScript emitted so far is case-insensitive at this point. */
  private jsI = false;

  constructor(
    private readonly src: string,
    private flags: Flags,
  ) {
    this.top = { saved: flags, outerI: false, branchI: false, wraps: 0 };
  }

  private fail(reason: string): never {
    throw new RegexSyntaxError(`error parsing regexp: ${reason}: \`${this.src}\``);
  }

  private get frame(): Frame {
    return this.frames.at(-1) ?? this.top;
  }

  run(): string {
    while (this.pos < this.src.length) this.step();
    if (this.frames.length > 0) this.fail("missing closing )");
    this.closeWraps();
    return this.out;
  }

  /** What each RE2 metacharacter becomes; any other character is a literal. */
  private readonly syntax: Record<string, () => void> = {
    "(": () => this.open(),
    ")": () => this.close(),
    "|": () => this.bar(),
    "[": () => this.emit(this.charClass()),
    "\\": () => this.emit(this.escape()),
    "*": () => this.quantifier("*"),
    "+": () => this.quantifier("+"),
    "?": () => this.quantifier("?"),
    "{": () => this.brace(),
    // RE2's `.` stops only at \n (unless s); JavaScript's also at \r, \u2028 and \u2029.
    ".": () => this.emit(this.flags.s ? "[^]" : "[^\\n]"),
    // With m, at a \n as RE2 has it (JavaScript's m also takes \r and \u2028).
    "^": () => this.emit(this.flags.m ? "(?<![^\\n])" : "^"),
    $: () => this.emit(this.flags.m ? "(?![^\\n])" : "$"),
  };

  private step(): void {
    const c = this.src[this.pos] as string;
    this.pos++;
    const translate = this.syntax[c];
    if (translate) translate();
    else this.emit(literal(c));
  }

  private emit(js: string): void {
    this.out += js;
  }

  private bar(): void {
    this.closeWraps();
    this.emit("|");
    this.applyCase();
  }

  /** `{n}`, `{n,}` or `{n,m}` (at most 1000, as RE2); any other `{` is a literal brace in RE2. */
  private brace(): void {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos - 1));
    if (!m) {
      this.emit("\\{");
      return;
    }
    const [min, max] = [Number(m[1]), m[3] ? Number(m[3]) : undefined];
    if (min > 1000 || (max ?? 0) > 1000 || (max !== undefined && max < min))
      this.fail(`invalid repeat count: ${m[0]}`);
    this.pos += m[0].length - 1;
    this.quantifier(m[0]);
  }

  /** `*`, `+`, `?` or `{n,m}`, lazy with a trailing `?`; the U flag swaps greedy and lazy. */
  private quantifier(q: string): void {
    let lazy = false;
    if (this.src[this.pos] === "?") {
      lazy = true;
      this.pos++;
    }
    if (this.flags.U) lazy = !lazy;
    this.out += lazy ? `${q}?` : q;
  }

  private open(): void {
    const rest = this.src.slice(this.pos);
    if (!rest.startsWith("?")) {
      this.push(this.flags);
      this.out += "(";
      return;
    }
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      this.pos += named[0].length;
      this.push(this.flags);
      this.out += `(?<${named[1]}>`;
      return;
    }
    if (/^\?(?:=|!|<=|<!)/.test(rest)) this.fail("lookarounds are not supported by RE2");
    if (/^\?P[=>]/.test(rest)) this.fail("backreferences are not supported by RE2");
    const f = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (!f || (f[2] !== undefined && f[2] === "") || (f[3] === ")" && !f[1] && f[2] === undefined))
      this.fail(`invalid or unsupported Perl syntax: \`(${rest.slice(0, 3)}\``);
    this.pos += f[0].length;
    const next = { ...this.flags };
    for (const k of f[1] ?? "") next[k as keyof Flags] = true;
    for (const k of f[2] ?? "") next[k as keyof Flags] = false;
    if (f[3] === ")") {
      // `(?i)` holds to the end of the enclosing group, across its `|` branches.
      this.flags = next;
      this.applyCase();
      return;
    }
    this.out += next.i === this.jsI ? "(?:" : next.i ? "(?i:" : "(?-i:";
    this.push(next);
  }

  /** Enters a group whose branches run under `next`; the JavaScript just emitted already has `next.i`. */
  private push(next: Flags): void {
    this.frames.push({ saved: this.flags, outerI: this.jsI, branchI: next.i, wraps: 0 });
    this.flags = next;
    this.jsI = next.i;
  }

  private close(): void {
    if (this.frames.length === 0) this.fail("unexpected )");
    this.closeWraps();
    const frame = this.frames.pop() as Frame;
    this.out += ")";
    this.flags = frame.saved;
    this.jsI = frame.outerI;
  }

  /** Closes the modifier groups opened for inline flags in the current branch. */
  private closeWraps(): void {
    const frame = this.frame;
    this.out += ")".repeat(frame.wraps);
    frame.wraps = 0;
    this.jsI = frame.branchI;
  }

  /** Opens a `(?i:` or `(?-i:` wrapper when the flags and the emitted JavaScript disagree on case. */
  private applyCase(): void {
    if (this.flags.i === this.jsI) return;
    this.out += this.flags.i ? "(?i:" : "(?-i:";
    this.frame.wraps++;
    this.jsI = this.flags.i;
  }

  /** An escape outside a character class. */
  private escape(): string {
    const c = this.src[this.pos];
    if (c === undefined) this.fail("trailing backslash at end of expression");
    this.pos++;
    const fixed = fixedEscapes[c];
    if (fixed !== undefined) return fixed;
    if (c === "p" || c === "P") return this.unicodeClass(c);
    if (c === "C") this.fail("\\C (any byte) is not supported");
    if (c === "Q") {
      const end = this.src.indexOf("\\E", this.pos);
      const text = this.src.slice(this.pos, end < 0 ? undefined : end);
      this.pos = end < 0 ? this.src.length : end + 2;
      return [...text].map(literal).join("");
    }
    return literal(String.fromCodePoint(this.escapedRune(c)));
  }

  /** An escape that stands for one character: C escapes, hex, octal and escaped punctuation. */
  private escapedRune(c: string): number {
    const simple = singleEscapes[c];
    if (simple !== undefined) return simple;
    if (c === "x") {
      const m = /^\{([0-9A-Fa-f]{1,8})\}|^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.pos));
      const code = m ? Number.parseInt(m[1] ?? m[0], 16) : Number.NaN;
      if (!m || code > 0x10ffff) this.fail("invalid escape sequence: `\\x`");
      this.pos += m[0].length;
      return code;
    }
    if (/[0-7]/.test(c)) {
      const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos)) as RegExpExecArray;
      // A lone `\1`..`\7` would be a backreference, which RE2 does not have.
      if (c !== "0" && m[0] === "") this.fail(`invalid escape sequence: \`\\${c}\``);
      this.pos += m[0].length;
      return Number.parseInt(c + m[0], 8);
    }
    if (c.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(c)) return c.charCodeAt(0);
    return this.fail(`invalid escape sequence: \`\\${c}\``);
  }

  /** `\pL`, `\p{Greek}`, `\P{Lu}`, `\p{^Greek}`: general categories keep their name, scripts need `Script=`. */
  private unicodeClass(c: string): string {
    const m = /^\{(\^?)([A-Za-z_]+)\}|^[A-Za-z]/.exec(this.src.slice(this.pos));
    if (!m) this.fail(`invalid character class range: \`\\${c}\``);
    this.pos += m[0].length;
    const name = m[2] ?? m[0];
    const negated = (c === "P") !== (m[1] === "^");
    const property = name.length <= 2 || name === "Any" ? name : `Script=${name}`;
    return `\\${negated ? "P" : "p"}{${property}}`;
  }

  /** `[...]` after its `[`: POSIX names expanded, `\s` made ASCII, literals escaped for JavaScript. */
  private charClass(): string {
    let out = "[";
    if (this.src[this.pos] === "^") {
      out += "^";
      this.pos++;
    }
    let first = true;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail("missing closing ]");
      if (c === "]" && !first) {
        this.pos++;
        return `${out}]`;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
      if (posix) {
        const set = posixClasses[posix[2] as string];
        if (set === undefined || posix[1]) this.fail(`invalid character class range: \`${posix[0]}\``);
        this.pos += posix[0].length;
        out += set;
        continue;
      }
      const perl = /^\\([dDwWsSpP])/.exec(this.src.slice(this.pos));
      if (perl) {
        this.pos += 2;
        const k = perl[1] as string;
        // `\S` keeps JavaScript's meaning inside a class: it differs from RE2's only for Unicode spaces and \v.
        out += k === "s" ? re2Space : k === "p" || k === "P" ? this.unicodeClass(k) : `\\${k}`;
        continue;
      }
      const lo = this.classChar();
      out += classLiteral(String.fromCodePoint(lo));
      if (this.src[this.pos] === "-" && this.src[this.pos + 1] !== "]" && this.pos + 1 < this.src.length) {
        this.pos++;
        const hi = this.classChar();
        if (hi < lo) this.fail("invalid character class range");
        out += `-${classLiteral(String.fromCodePoint(hi))}`;
      }
    }
  }

  /** One character of a class, literal or escaped. */
  private classChar(): number {
    const cp = this.src.codePointAt(this.pos) as number;
    this.pos += cp > 0xffff ? 2 : 1;
    if (cp !== 0x5c) return cp;
    const c = this.src[this.pos];
    if (c === undefined) this.fail("missing closing ]");
    this.pos++;
    if (c === "Q") this.fail("\\Q…\\E inside a character class is not supported");
    return this.escapedRune(c);
  }
}
