import { invalid } from "./errors";

// The one duration reader. Every caller names the syntax it accepts; the units and the arithmetic are shared.

/** Milliseconds per unit, as Go's time package and Prometheus's model package define them: y = 365 d, w = 7 d. */
export const unitMs = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 MICRO SIGN
  μs: 1e-3, // U+03BC GREEK SMALL LETTER MU; Go accepts both
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
  d: 864e5,
  w: 6048e5,
  y: 31536e6,
} as const;

export type DurationUnit = keyof typeof unitMs;

/** What one reader of durations accepts. */
export interface DurationSyntax {
  units: readonly DurationUnit[];
  /** Terms go from the largest unit to the smallest, each unit once (Prometheus's model.ParseDuration). */
  ordered: boolean;
  /** Fractional terms such as `1.5h` or `.5s` (Go's time.ParseDuration). */
  fractions: boolean;
  /** A plain number is seconds (`30`, `1.5`, `1e3`), as Prometheus reads `step` and `foo[300]`. */
  bareSeconds: boolean;
  /** `0` without a unit, which Go and Prometheus both accept. */
  bareZero: boolean;
  /** A leading `-` or `+`. */
  signed: boolean;
  /** The largest magnitude in ms; Go's time.Duration ends at 2^63-1 ns, about 292 years. */
  maxMs: number;
}

const goMaxMs = 9_223_372_036_854;

/** Prometheus's model.ParseDuration: `1h30m`, integers, units in order; what PromQL test scripts use. */
export const prometheusDuration: DurationSyntax = {
  units: ["y", "w", "d", "h", "m", "s", "ms"],
  ordered: true,
  fractions: false,
  bareSeconds: false,
  bareZero: true,
  signed: false,
  maxMs: goMaxMs,
};

/** Prometheus's API `step` and PromQL duration literals: a Prometheus duration or a number of seconds. */
export const prometheusOrSeconds: DurationSyntax = { ...prometheusDuration, bareSeconds: true };

/** Go's time.ParseDuration: `-1.5h`, `250us`, any order, no days; Loki reads label values with it. */
export const goDuration: DurationSyntax = {
  units: ["h", "m", "s", "ms", "us", "µs", "μs", "ns"],
  ordered: false,
  fractions: true,
  bareSeconds: false,
  bareZero: true,
  signed: true,
  maxMs: goMaxMs,
};

/** LogQL duration literals (ranges, offsets, `| duration > 1m`): Loki tries Prometheus's syntax, then Go's. */
export const logqlDuration = [prometheusDuration, goDuration] as const;

/**
 * Harness's own settings (harness.yaml, rule files, CLI flags, agent tool inputs): Prometheus's units, written
 * as freely as people write them (`1.5h`, `30m1h`), never negative and never a bare number.
 */
export const harnessDuration: DurationSyntax = {
  units: ["y", "w", "d", "h", "m", "s", "ms"],
  ordered: false,
  fractions: true,
  bareSeconds: false,
  bareZero: false,
  signed: false,
  maxMs: Number.MAX_SAFE_INTEGER,
};

const bareNumber = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const integerTerm = /(\d+)([a-zµμ]+)/y;
const fractionTerm = /(\d+\.?\d*|\.\d+)([a-zµμ]+)/y;

/** Milliseconds, or null when `syntax` does not accept `text` (or it is out of range); tried in order. */
export function readDuration(text: string, ...syntaxes: readonly DurationSyntax[]): number | null {
  for (const syntax of syntaxes) {
    const ms = readOne(text, syntax);
    if (ms !== null) return ms;
  }
  return null;
}

function readOne(text: string, syntax: DurationSyntax): number | null {
  let body = text;
  let sign = 1;
  if (syntax.signed && (body.startsWith("-") || body.startsWith("+"))) {
    sign = body.startsWith("-") ? -1 : 1;
    body = body.slice(1);
  }
  if (syntax.bareZero && body === "0") return 0;
  if (syntax.bareSeconds && bareNumber.test(body)) return inRange(sign * Number(body) * 1000, syntax);
  const term = syntax.fractions ? fractionTerm : integerTerm;
  let total = 0;
  let terms = 0;
  let lastUnit = Number.POSITIVE_INFINITY;
  for (let pos = 0; pos < body.length; pos = term.lastIndex) {
    term.lastIndex = pos;
    const m = term.exec(body);
    if (!m) return null;
    const unit = m[2] as DurationUnit;
    if (!syntax.units.includes(unit)) return null;
    const size = unitMs[unit];
    if (syntax.ordered && size >= lastUnit) return null;
    lastUnit = size;
    total += Number(m[1]) * size;
    terms++;
  }
  if (terms === 0) return null;
  // Whole nanoseconds, as Go keeps them: `1.1s` is 1100 ms, not 1100.0000000000002.
  const ms = Number.isInteger(total) ? total : Math.round(total * 1e6) / 1e6;
  return inRange(sign * ms, syntax);
}

const inRange = (ms: number, syntax: DurationSyntax) => (Math.abs(ms) <= syntax.maxMs ? ms : null);

/** Why `readDuration` refused `text`, in Go's words, for error messages. */
export function durationError(text: string, ...syntaxes: readonly DurationSyntax[]): string {
  const unbounded = syntaxes.map((s) => ({ ...s, maxMs: Number.POSITIVE_INFINITY }));
  return readDuration(text, ...unbounded) === null
    ? `not a valid duration string: "${text}"`
    : `duration out of range: "${text}"`;
}

/** A duration of Harness's own settings in ms; throws an `invalid` AppError naming the text. */
export function parseDuration(text: string): number {
  const ms = readDuration(text, harnessDuration);
  if (ms === null) throw invalid(`invalid duration "${text}" (use e.g. 30s, 5m, 1h)`);
  return ms;
}

/** The largest whole unit that fits: `90m` stays `90m`, `7200000` ms is `2h`. */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
