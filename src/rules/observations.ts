import type { Database } from "bun:sqlite";
import { notFound } from "../lib/errors";

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

export function createObservationRepo(db: Database) {
  return {
    record(o: NewObservation): Observation {
      const row = db
        .query<Row, (string | number | null)[]>(
          `INSERT INTO observations (rule_kind, rule, query, value, labels, data, observed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          o.rule_kind,
          o.rule,
          o.query,
          o.value !== null && Number.isFinite(o.value) ? o.value : null,
          JSON.stringify(o.labels),
          JSON.stringify(o.data),
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
