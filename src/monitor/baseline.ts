import type { QueryResult } from "../telemetry/types";
import type { SuccessCriterion } from "../tickets/model";
import { resultValues } from "./criteria";

/**
 * A ticket's baseline: what the service looked like before the fault, so a fix can be measured against it and
 * not only against the alert's threshold. Raising `max_keys` from a bad 40 to 60 clears "headroom below 20 %",
 * but leaves the store 75 % full where it used to be nearly empty: verified, yet worse than before.
 */

/** How far before the rule started violating the baseline is read: clear of the fault's own onset. */
export const baselineLookbackMs = 15 * 60_000;

/** One criterion's metric: what is measured, which way is good, and the limit the alert drew. */
export interface Signal {
  /** The criterion this signal belongs to (its name, else its query). */
  criterion: string;
  query: string;
  language?: "promql" | "logql" | undefined;
  /** `low`: smaller is better (an error ratio, a fill ratio); `high`: larger is better. */
  good: "low" | "high";
  threshold: number;
}

export interface SignalValue extends Signal {
  value: number | null;
}

export interface Baseline {
  /** When the baseline was read. */
  at: number;
  signals: SignalValue[];
  /** The config hashes the service's instances reported then (`ratelimiter_config_info`); [] without data. */
  config_hashes: string[];
  /** The workspace's commit then: the last known good revision of the service and its limits. */
  commit: string | null;
  /** The same signals when the ticket opened: the "before" of the fix (the baseline is before the fault). */
  opened?: SignalValue[];
}

const numericGood: Record<string, "low" | "high"> = { "<": "low", "<=": "low", ">": "high", ">=": "high" };

/**
 * Splits `EXPR OP NUMBER` at its top-level comparison (not inside parentheses, braces or brackets, and with
 * no `and`/`or`/`unless` around it): the metric an `empty` criterion watches, and the limit it must stay past.
 */
export function splitComparison(query: string): { expr: string; op: string; threshold: number } | null {
  const m = /^(.*?)\s*(>=|<=|>|<)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/is.exec(query.trim());
  if (!m) return null;
  const expr = (m[1] as string).trim();
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i] as string;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (depth === 0 && /[<>=!]/.test(ch)) return null;
    if (depth < 0) return null;
  }
  if (depth !== 0 || quote) return null;
  // Set operators at the top level mean the comparison is not the whole query's condition.
  const flat = expr.replace(/\([^()]*\)|\{[^{}]*\}|\[[^[\]]*\]|"[^"]*"/g, "");
  if (/\b(and|or|unless)\b/i.test(flat)) return null;
  return { expr, op: m[2] as string, threshold: Number(m[3]) };
}

/**
 * Pure: the metric behind each criterion that has one. A numeric criterion measures its own query; an
 * `empty` criterion over `EXPR > N` measures EXPR, good while it stays below N. Others are not judged.
 */
export function signalsOf(
  criteria: readonly Pick<SuccessCriterion, "name" | "query" | "language" | "comparator" | "threshold">[],
): Signal[] {
  const out: Signal[] = [];
  for (const c of criteria) {
    const criterion = c.name ?? c.query;
    const language = c.language;
    const direct = numericGood[c.comparator];
    if (direct && c.threshold !== undefined) {
      out.push({ criterion, query: c.query, language, good: direct, threshold: c.threshold });
      continue;
    }
    if (c.comparator !== "empty") continue;
    const split = splitComparison(c.query);
    if (!split) continue;
    // The query lists what violates: `> N` violates when high, so the metric is good when low.
    const good = split.op.startsWith(">") ? "low" : "high";
    out.push({ criterion, query: split.expr, language, good, threshold: split.threshold });
  }
  return out;
}

/** The worst value of a signal's result: the largest when low is good, the smallest when high is. */
export function worstValue(good: "low" | "high", r: QueryResult): number | null {
  const finite = resultValues(r).filter(Number.isFinite);
  if (finite.length === 0) return null;
  return good === "low" ? Math.max(...finite) : Math.min(...finite);
}

export interface BaselineJudgement {
  /** Verified, but some signal ended more than halfway from its baseline back to the alert's limit. */
  partial: boolean;
  /** One sentence per signal that is worse than its baseline. */
  worse: string[];
  signals: {
    criterion: string;
    query: string;
    baseline: number | null;
    after: number | null;
    worse: boolean;
  }[];
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || v === 0 ? String(v) : Number(v.toPrecision(4)).toString());

/**
 * Pure: is the service, now that the criteria hold, still worse than its baseline? A signal counts as worse
 * when its value lies more than halfway from the baseline to the alert's threshold: clear of noise around the
 * baseline, yet well short of the limit. A signal without a baseline value, or whose baseline was already past
 * the threshold (the service was never good there), is not judged.
 */
export function judgeAgainstBaseline(baseline: Baseline, after: readonly SignalValue[]): BaselineJudgement {
  const signals = baseline.signals.map((b) => {
    const a = after.find((x) => x.query === b.query && x.criterion === b.criterion)?.value ?? null;
    const judged =
      b.value !== null && a !== null && (b.good === "low" ? b.value < b.threshold : b.value > b.threshold);
    const base = b.value as number;
    const limit = base + (b.threshold - base) / 2;
    const worse = judged && (b.good === "low" ? (a as number) > limit : (a as number) < limit);
    return { criterion: b.criterion, query: b.query, baseline: b.value, after: a, worse };
  });
  const worse = signals
    .filter((s) => s.worse)
    .map(
      (s) =>
        `${s.criterion}: ${fmt(s.after as number)} against a baseline of ${fmt(s.baseline as number)} before the fault`,
    );
  return { partial: worse.length > 0, worse, signals };
}
