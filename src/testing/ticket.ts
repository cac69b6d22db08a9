import type { Ticket } from "../tickets/model";

/** A ticket value for brain tests that never touch the store; fields a test cares about are overridden. */
export function ticketFixture(over: Partial<Ticket> = {}): Ticket {
  return {
    id: 1,
    title: "t",
    objective: "o",
    success_criteria: [],
    context: {},
    source: "human",
    source_ref: null,
    fingerprint: null,
    priority: "P3",
    status: "in_progress",
    parent_id: null,
    observation_id: null,
    lease_owner: "w",
    lease_expires_at: 0,
    attempts: 1,
    created_at: 0,
    updated_at: 0,
    finished_at: null,
    resolution: null,
    ...over,
  };
}
