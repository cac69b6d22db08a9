import { formatDuration } from "../lib/duration";
import type { Priority } from "../tickets/model";

/** One multiwindow burn-rate alert (Google SRE Workbook, chapter 5). */
export interface BurnWindow {
  long_ms: number;
  short_ms: number;
  factor: number;
  priority: Priority;
  /** Share of the budget this alert spends before firing, for people reading the rule. */
  budget_share: number;
}

export const defaultBurnPolicy: BurnWindow[] = [
  { long_ms: 3_600_000, short_ms: 300_000, factor: 14.4, priority: "P1", budget_share: 0.02 },
  { long_ms: 21_600_000, short_ms: 1_800_000, factor: 6, priority: "P1", budget_share: 0.05 },
  { long_ms: 86_400_000, short_ms: 7_200_000, factor: 3, priority: "P2", budget_share: 0.1 },
  { long_ms: 259_200_000, short_ms: 21_600_000, factor: 1, priority: "P3", budget_share: 0.1 },
];

export const errorBudget = (objectivePercent: number) => 1 - objectivePercent / 100;

/** Burn rate = observed error ratio / allowed error ratio; 1 spends the budget exactly over the window. */
export function burnRate(errorRatio: number | null, objectivePercent: number): number | null {
  if (errorRatio === null || !Number.isFinite(errorRatio)) return null;
  return errorRatio / errorBudget(objectivePercent);
}

export interface BurnCheck {
  window: BurnWindow;
  long: number | null;
  short: number | null;
  firing: boolean;
  /** Events per second over the long window, when the SLO has a low-traffic guard (else null). */
  traffic: number | null;
  /** True when both windows burn but traffic is below the guard: the alert is held back. */
  quiet: boolean;
}

/** The SLO's low-traffic guard: a minimum event rate (per second, over the long window) before alerting. */
export interface TrafficGuard {
  min_rate: number;
  rate: number | null;
}

/**
 * Both windows must exceed the factor: the long one proves significance, the short one that it is still on.
 * A guard, when given, also asks for enough events over the long window that the ratio means something.
 */
export function checkBurn(
  window: BurnWindow,
  longBurn: number | null,
  shortBurn: number | null,
  guard?: TrafficGuard,
): BurnCheck {
  const burning =
    longBurn !== null && shortBurn !== null && longBurn > window.factor && shortBurn > window.factor;
  const enough = !guard || guard.min_rate <= 0 || (guard.rate !== null && guard.rate >= guard.min_rate);
  return {
    window,
    long: longBurn,
    short: shortBurn,
    firing: burning && enough,
    traffic: guard && guard.min_rate > 0 ? guard.rate : null,
    quiet: burning && !enough,
  };
}

export interface BudgetStatus {
  budget: number;
  error_ratio: number | null;
  remaining: number | null;
  /** Time until the remaining budget is gone at the given burn rate; null when not burning. */
  exhaustion_ms: number | null;
}

export function budgetStatus(
  objectivePercent: number,
  windowMs: number,
  windowErrorRatio: number | null,
  currentBurn: number | null,
): BudgetStatus {
  const budget = errorBudget(objectivePercent);
  if (windowErrorRatio === null || !Number.isFinite(windowErrorRatio)) {
    return { budget, error_ratio: null, remaining: null, exhaustion_ms: null };
  }
  const remaining = 1 - windowErrorRatio / budget;
  const exhaustion_ms =
    currentBurn !== null && currentBurn > 0 && remaining > 0
      ? (remaining * windowMs) / currentBurn
      : remaining <= 0
        ? 0
        : null;
  return { budget, error_ratio: windowErrorRatio, remaining, exhaustion_ms };
}

/**
 * Puts a window into an SLI query. Sloth's `{{.window}}` placeholder is honoured; a query without one is
 * taken as a counter selector and wrapped in `sum(increase(…[window]))`.
 */
export function windowed(query: string, windowMs: number): string {
  const w = formatDuration(windowMs);
  if (/\{\{\s*\.window\s*\}\}/.test(query)) return query.replace(/\{\{\s*\.window\s*\}\}/g, w);
  return `sum(increase(${query}[${w}]))`;
}

/** PromQL for the SLI's events per second over a window: what the low-traffic guard compares. */
export function trafficRateQuery(sli: { total: string }, windowMs: number): string {
  return `(${windowed(sli.total, windowMs)}) / ${windowMs / 1000}`;
}

/** PromQL for the error ratio of an SLI over a window. */
export function errorRatioQuery(
  sli: { bad?: string | undefined; good?: string | undefined; total: string },
  windowMs: number,
): string {
  const total = windowed(sli.total, windowMs);
  if (sli.bad !== undefined) return `(${windowed(sli.bad, windowMs)}) / (${total})`;
  return `1 - (${windowed(sli.good as string, windowMs)}) / (${total})`;
}
