import { AppError } from "../lib/errors";

/**
 * The limits every query runs under, as Prometheus and Loki have them (`query:` in harness.yaml). A query past
 * one ends with Prometheus's error types: `bad_data` (400) for a request that can never run, `execution` (422)
 * for one that would load too much, `timeout` (503) past its deadline.
 */
export interface QueryLimits {
  /** Wall time from arrival (queue included) to the answer. Prometheus: 2 m. */
  timeoutMs: number;
  /** Samples a PromQL query may load or produce. Prometheus: 50,000,000. */
  maxSamples: number;
  /** Points per series in a range query. Prometheus: 11,000. */
  maxPoints: number;
  /** end − start of a range query; 0 turns the check off (Prometheus has none). */
  maxLengthMs: number;
  /** Characters in one regular expression of a matcher or function. */
  maxRegexLength: number;
  logs: {
    /** Lines one log query may return (Loki's max_entries_limit_per_query: 5,000). */
    maxEntries: number;
    /** Streams or series one query may return (Loki's max_query_series: 500). */
    maxSeries: number;
    /** end − start of a log query (Loki's max_query_length: 721 h). */
    maxLengthMs: number;
  };
}

export const defaultQueryLimits: QueryLimits = {
  timeoutMs: 120_000,
  maxSamples: 50_000_000,
  maxPoints: 11_000,
  maxLengthMs: 0,
  maxRegexLength: 32_768,
  logs: { maxEntries: 5_000, maxSeries: 500, maxLengthMs: 721 * 3_600_000 },
};

/** The largest |timestamp| in ms that JavaScript dates (and Prometheus's ±292 years) both cover. */
export const maxTimestampMs = 8_640_000_000_000_000 / 1000;

/**
 * What one running query has spent. Evaluation charges samples and ticks as it goes; every 256th tick looks
 * at the clock and the cancel flag, so a check costs almost nothing while a runaway query still stops within
 * milliseconds of its deadline.
 */
export class QueryBudget {
  samples = 0;
  private ticks = 0;

  constructor(
    readonly limits: QueryLimits,
    /** `performance.now()` past which the query times out. */
    private readonly deadline: number,
    /** Set by whoever is waiting for the answer when it no longer is (client gone, harness stopping). */
    private readonly cancelled: () => boolean = () => false,
  ) {}

  charge(n: number): void {
    this.samples += n;
    if (this.samples > this.limits.maxSamples)
      throw new AppError(
        "execution",
        `query processing would load too many samples into memory in query execution (limit: query.max_samples = ${this.limits.maxSamples})`,
      );
    this.tick();
  }

  tick(): void {
    if ((++this.ticks & 255) !== 0) return;
    this.check();
  }

  check(): void {
    if (this.cancelled()) throw new AppError("canceled", "query canceled: the client went away");
    if (performance.now() > this.deadline)
      throw new AppError(
        "timeout",
        `query timed out in expression evaluation (limit: query.timeout = ${Math.round(this.limits.timeoutMs / 1000)}s)`,
      );
  }
}

/**
 * The budget of the query running on this thread. Evaluation is synchronous and one query runs at a time per
 * thread (the main thread or a query worker), so the evaluators reach it here instead of through every call.
 */
let current: QueryBudget | null = null;

export function withBudget<T>(budget: QueryBudget, fn: () => T): T {
  const previous = current;
  current = budget;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

export const currentBudget = (): QueryBudget | null => current;

/** Regular expressions longer than this are refused (settable from config at start-up). */
let regexLimit = defaultQueryLimits.maxRegexLength;
export function setRegexLimit(n: number): void {
  regexLimit = n;
}

/**
 * Refuses a regular expression that could make a backtracking engine run for ever: too long, or an unbounded
 * quantifier applied to a group that itself holds one (`(a+)+`, `(\w*\s?)*`) — RE2, which Prometheus uses,
 * runs those in linear time; JavaScript's engine does not. What passes is still bounded by the query's
 * deadline, and a query worker that overruns it is terminated.
 */
export function checkRegex(source: string): void {
  if (source.length > (current?.limits.maxRegexLength ?? regexLimit))
    throw new AppError(
      "invalid",
      `regular expression of ${source.length} characters is longer than query.max_regex_length (${current?.limits.maxRegexLength ?? regexLimit})`,
    );
  if (nestedQuantifier(source))
    throw new AppError(
      "invalid",
      `regular expression ${source.length > 60 ? `${source.slice(0, 60)}…` : source} repeats a group that itself repeats without bound; rewrite it without nested quantifiers`,
    );
}

/** Whether an unbounded quantifier follows a group that contains one. */
export function nestedQuantifier(src: string): boolean {
  const stack: boolean[] = [];
  let inner = false;
  let i = 0;
  const unboundedAt = (j: number) => {
    const c = src[j];
    if (c === "*" || c === "+") return true;
    if (c === "{") return /^\{\d+,\}/.test(src.slice(j));
    return false;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      i += 2;
      if (unboundedAt(i)) inner = true;
      continue;
    }
    if (c === "[") {
      // A character class: skip to its closing bracket (a `]` first in the class is literal).
      i++;
      if (src[i] === "^") i++;
      if (src[i] === "]") i++;
      while (i < src.length && src[i] !== "]") i += src[i] === "\\" ? 2 : 1;
      i++;
      if (unboundedAt(i)) inner = true;
      continue;
    }
    if (c === "(") {
      stack.push(inner);
      inner = false;
      i++;
      continue;
    }
    if (c === ")") {
      const had = inner;
      inner = stack.pop() ?? false;
      i++;
      if (unboundedAt(i)) {
        if (had) return true;
        inner = true;
      } else if (had) inner = true;
      continue;
    }
    i++;
    if (unboundedAt(i)) inner = true;
  }
  return false;
}
