import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import { conflict, notFound } from "../lib/errors";
import { formatDuration, parseDuration, parseOrThrow } from "../lib/parse";
import { type Invariant, InvariantInput, type Severity, type Slo, SloInput } from "./model";

type Row = Record<string, unknown>;

function toInvariant(r: Row): Invariant {
  return {
    id: r.id as number,
    name: r.name as string,
    query: r.query as string,
    language: (r.language as Invariant["language"] | undefined) ?? "promql",
    for: formatDuration(r.for_ms as number),
    for_ms: r.for_ms as number,
    severity: r.severity as Severity,
    description: r.description as string,
    enabled: r.enabled === 1,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
  };
}

function toSlo(r: Row): Slo {
  return {
    id: r.id as number,
    name: r.name as string,
    service: r.service as string,
    description: r.description as string,
    objective: r.objective as number,
    window: formatDuration(r.window_ms as number),
    window_ms: r.window_ms as number,
    sli: JSON.parse(r.sli as string),
    enabled: r.enabled === 1,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
  };
}

function uniqueName<T>(fn: () => T, kind: string, name: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) {
      throw conflict(`${kind} named "${name}" already exists`);
    }
    throw err;
  }
}

export type RuleRepo = ReturnType<typeof createRuleRepo>;

export function createRuleRepo(db: Database, clock: Clock) {
  return {
    listInvariants(): Invariant[] {
      return db.query<Row, []>("SELECT * FROM invariants ORDER BY id").all().map(toInvariant);
    },
    getInvariant(id: number): Invariant {
      const r = db.query<Row, [number]>("SELECT * FROM invariants WHERE id = ?").get(id);
      if (!r) throw notFound(`invariant ${id} not found`);
      return toInvariant(r);
    },
    createInvariant(input: unknown): Invariant {
      const v = parseOrThrow(InvariantInput, input, "invariant");
      const now = clock.now();
      return uniqueName(
        () =>
          toInvariant(
            db
              .query<Row, (string | number)[]>(
                `INSERT INTO invariants (name, query, language, for_ms, severity, description, enabled, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
              )
              .get(
                v.name,
                v.query,
                v.language,
                parseDuration(v.for),
                v.severity,
                v.description,
                v.enabled ? 1 : 0,
                now,
                now,
              ) as Row,
          ),
        "invariant",
        v.name,
      );
    },
    updateInvariant(id: number, input: unknown): Invariant {
      const current = this.getInvariant(id);
      const merged = { ...current, ...(input as object) };
      const v = parseOrThrow(InvariantInput, merged, "invariant");
      return uniqueName(
        () =>
          toInvariant(
            db
              .query<Row, (string | number)[]>(
                `UPDATE invariants SET name = ?, query = ?, language = ?, for_ms = ?, severity = ?, description = ?,
                 enabled = ?, updated_at = ? WHERE id = ? RETURNING *`,
              )
              .get(
                v.name,
                v.query,
                v.language,
                parseDuration(v.for),
                v.severity,
                v.description,
                v.enabled ? 1 : 0,
                clock.now(),
                id,
              ) as Row,
          ),
        "invariant",
        v.name,
      );
    },
    deleteInvariant(id: number): void {
      this.getInvariant(id);
      db.query("DELETE FROM invariants WHERE id = ?").run(id);
    },

    listSlos(): Slo[] {
      return db.query<Row, []>("SELECT * FROM slos ORDER BY id").all().map(toSlo);
    },
    getSlo(id: number): Slo {
      const r = db.query<Row, [number]>("SELECT * FROM slos WHERE id = ?").get(id);
      if (!r) throw notFound(`SLO ${id} not found`);
      return toSlo(r);
    },
    createSlo(input: unknown): Slo {
      const v = parseOrThrow(SloInput, input, "SLO");
      const now = clock.now();
      return uniqueName(
        () =>
          toSlo(
            db
              .query<Row, (string | number)[]>(
                `INSERT INTO slos (name, service, description, objective, window_ms, sli, enabled, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
              )
              .get(
                v.name,
                v.service,
                v.description,
                v.objective,
                parseDuration(v.window),
                JSON.stringify(v.sli),
                v.enabled ? 1 : 0,
                now,
                now,
              ) as Row,
          ),
        "SLO",
        v.name,
      );
    },
    updateSlo(id: number, input: unknown): Slo {
      const current = this.getSlo(id);
      const v = parseOrThrow(SloInput, { ...current, ...(input as object) }, "SLO");
      return uniqueName(
        () =>
          toSlo(
            db
              .query<Row, (string | number)[]>(
                `UPDATE slos SET name = ?, service = ?, description = ?, objective = ?, window_ms = ?, sli = ?,
                 enabled = ?, updated_at = ? WHERE id = ? RETURNING *`,
              )
              .get(
                v.name,
                v.service,
                v.description,
                v.objective,
                parseDuration(v.window),
                JSON.stringify(v.sli),
                v.enabled ? 1 : 0,
                clock.now(),
                id,
              ) as Row,
          ),
        "SLO",
        v.name,
      );
    },
    deleteSlo(id: number): void {
      this.getSlo(id);
      db.query("DELETE FROM slos WHERE id = ?").run(id);
    },
  };
}
