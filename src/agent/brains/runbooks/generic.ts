import type { Runbook } from "./types";

/**
 * For every ticket no runbook covers (a person's, a webhook's, a schedule's, a rule error, a rollback
 * follow-up, a rule without a known fix): investigate, finish if the criteria already hold, otherwise report
 * the findings and ask a person.
 */
export const generic: Runbook = {
  name: "generic",
  onViolated: () => null,
  after: {},
};
