import type { Database } from "bun:sqlite";
import { notFound } from "../lib/errors";
import { Redactor } from "../lib/redact";

export interface Observation {
  id: number;
  rule_kind: string;
  rule: string;
  query: string;
  value: number | null;
  labels: Record<string, string>;
  data: Record<string, unknown>;
  observed_at: number;
}

export type NewObservation = Omit<Observation, "id">;

type Row = Record<string, unknown>;
const toObservation = (r: Row): Observation => ({
  ...(r as unknown as Observation),
  labels: JSON.parse(r.labels as string),
  data: JSON.parse(r.data as string),
});

export type ObservationRepo = ReturnType<typeof createObservationRepo>;

export function createObservationRepo(db: Database, redactor = new Redactor()) {
  return {
    /** Stored redacted: webhook senders and log queries put arbitrary text in labels, data and the query. */
    record(o: NewObservation): Observation {
      const row = db
        .query<Row, (string | number | null)[]>(
          `INSERT INTO observations (rule_kind, rule, query, value, labels, data, observed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          o.rule_kind,
          redactor.text(o.rule),
          redactor.text(o.query),
          o.value !== null && Number.isFinite(o.value) ? o.value : null,
          JSON.stringify(redactor.value(o.labels)),
          JSON.stringify(redactor.value(o.data)),
          o.observed_at,
        );
      return toObservation(row as Row);
    },
    get(id: number): Observation {
      const row = db.query<Row, [number]>("SELECT * FROM observations WHERE id = ?").get(id);
      if (!row) throw notFound(`observation ${id} not found`);
      return toObservation(row);
    },
    recent(limit = 50): Observation[] {
      return db
        .query<Row, [number]>("SELECT * FROM observations ORDER BY id DESC LIMIT ?")
        .all(limit)
        .map(toObservation);
    },
  };
}
