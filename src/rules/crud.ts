import type { Database } from "bun:sqlite";
import type { z } from "zod";
import { conflict, notFound } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";

type Row = Record<string, unknown>;

/**
 * Generic CRUD over one definitions table: validate with the schema, map to columns, read back typed. All four
 * rule kinds (SLOs, invariants, anomaly detectors, schedules) are stored through it.
 */
export function definitionTable<S extends z.ZodType, T extends { id: number; enabled: boolean }>(opts: {
  db: Database;
  table: string;
  kind: string;
  schema: S;
  toColumns: (v: z.infer<S>) => Record<string, string | number | null>;
  fromRow: (r: Row) => T;
  now: () => number;
  /**
   * The monitor's state key of a definition (`invariant:NAME`): deleting the definition drops its state, so a
   * rule created again under the same name starts fresh instead of inheriting an old `for`, streak or cooldown.
   */
  stateKey?: (t: T) => string;
}) {
  const { db, table, kind } = opts;
  const get = (id: number): T => {
    const r = db.query<Row, [number]>(`SELECT * FROM ${table} WHERE id = ?`).get(id);
    if (!r) throw notFound(`${kind} ${id} not found`);
    return opts.fromRow(r);
  };
  const write = (fn: () => Row | null, name: unknown): T => {
    try {
      return opts.fromRow(fn() as Row);
    } catch (err) {
      if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) {
        throw conflict(`${kind} named "${String(name)}" already exists`);
      }
      throw err;
    }
  };
  return {
    list: (): T[] => db.query<Row, []>(`SELECT * FROM ${table} ORDER BY id`).all().map(opts.fromRow),
    get,
    create(input: unknown): T {
      const cols = opts.toColumns(parseOrThrow(opts.schema, input, kind));
      const now = opts.now();
      const all = { ...cols, created_at: now, updated_at: now };
      const names = Object.keys(all);
      return write(
        () =>
          db
            .query<Row, (string | number | null)[]>(
              `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) RETURNING *`,
            )
            .get(...Object.values(all)),
        cols.name,
      );
    },
    /** Partial update: unspecified fields keep their values, then the whole is validated again. */
    update(id: number, input: unknown, current: (t: T) => Record<string, unknown>): T {
      const merged = { ...current(get(id)), ...(input as object) };
      const cols: Record<string, string | number | null> = {
        ...opts.toColumns(parseOrThrow(opts.schema, merged, kind)),
        updated_at: opts.now(),
      };
      const names = Object.keys(cols);
      return write(
        () =>
          db
            .query<Row, (string | number | null)[]>(
              `UPDATE ${table} SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE id = ? RETURNING *`,
            )
            .get(...Object.values(cols), id),
        cols.name,
      );
    },
    delete(id: number): void {
      const gone = get(id);
      db.transaction(() => {
        db.query(`DELETE FROM ${table} WHERE id = ?`).run(id);
        if (opts.stateKey) db.query("DELETE FROM rule_state WHERE rule_key = ?").run(opts.stateKey(gone));
      })();
    },
    setField(id: number, column: string, value: string | number | null): void {
      db.query(`UPDATE ${table} SET ${column} = ? WHERE id = ?`).run(value, id);
    },
  };
}
