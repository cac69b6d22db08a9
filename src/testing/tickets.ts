import type { Core } from "../core";
import type { NewTicket, Ticket } from "../tickets/model";

/**
 * A ticket for a test, opened the only way tickets open: through the intake. `fingerprint` and `parent_id`
 * map onto the intake's own fields; the observation says a test raised it.
 */
export function testTicket(core: Pick<Core, "intake">, input: NewTicket, actor = "test"): Ticket {
  const { fingerprint, parent_id, observation_id: _ignored, ...draft } = input;
  const raised = core.intake.raise({
    actor,
    observation: { rule_kind: "test", rule: actor, query: "", value: null, labels: {}, data: {} },
    ticket: draft,
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(parent_id !== undefined ? { parentId: parent_id } : {}),
  });
  if (!raised.ticket) throw new Error("testTicket: the intake opened no ticket");
  return raised.ticket;
}

/** A criterion any test ticket can carry so that `finish` is allowed: a fix is claimed only against criteria. */
export const upCriterion = {
  query: 'up{job="rate-limiter"} == 0',
  comparator: "empty" as const,
  for_seconds: 0,
};
