import type { RuleStateRow } from "../rules/rule-state-store";

/**
 * What the evaluators' decisions share. A decision is a pure function of a rule, what its query returned, the
 * rule's previous state and the time; the shell around it runs the query, then writes the state and raises
 * the alert the decision returned (as Prometheus's `rules/alerting.go` evaluates and the notifier sends).
 */

/** A query as the shell ran it: its result, or why there is none. */
export type Queried<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs a query and keeps its failure as a value, so a decision can count it. */
export async function attempt<T>(run: () => Promise<T>): Promise<Queried<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** A failed evaluation, for the error sink: after enough in a row it opens a ticket about the rule itself. */
export interface RuleFailure {
  message: string;
  consecutive: number;
}

/** A rule that cannot be evaluated keeps its timers (a blip is no recovery) and counts the failure. */
export function failedEvaluation(
  prev: RuleStateRow,
  message: string,
  now: number,
): { state: RuleStateRow; failure: RuleFailure } {
  const consecutive = prev.consecutive_errors + 1;
  return {
    state: { ...prev, last_eval_at: now, last_error: message, consecutive_errors: consecutive },
    failure: { message, consecutive },
  };
}

/** The state a rule starts with, as the store returns it for a key it has never seen. */
export { freshState } from "../rules/rule-state-store";
