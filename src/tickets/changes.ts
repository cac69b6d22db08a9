import type { Database } from "bun:sqlite";
import type { TicketEvent } from "./model";

/** The events that change what runs: what the agent, the dashboard and `list_deploys` call "recent changes". */
export const serviceChangeKinds = [
  "commit",
  "config_change",
  "deploy",
  "deploy_failed",
  "rollback",
  "restart",
] as const;

/** A change is a ticket event of one of those kinds, read without its row id. */
export type ServiceChange = Omit<TicketEvent, "id">;

export type ChangeLog = ReturnType<typeof createChangeLog>;

/** The change log is read from the tickets' own append-only events: one query, newest first. */
export function createChangeLog(db: Database) {
  // The kinds are constants of ours, not input, so they can sit in the SQL text.
  const kinds = serviceChangeKinds.map((k) => `'${k}'`).join(",");
  const recent = db.query<Omit<ServiceChange, "data"> & { data: string }, [number]>(
    `SELECT ticket_id, seq, ts, kind, actor, data FROM ticket_events WHERE kind IN (${kinds}) ORDER BY id DESC LIMIT ?`,
  );
  return {
    recent(limit: number): ServiceChange[] {
      return recent.all(limit).map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
    },
  };
}
