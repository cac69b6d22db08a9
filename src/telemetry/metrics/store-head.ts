import type { Database } from "bun:sqlite";
import type { StoredSample } from "./stale";

type SqlValue = number | string | null;

/** NULL marks staleness and text 'NaN' an ordinary NaN, because SQLite stores every NaN as NULL. */
export function toSql(s: { v: number; stale?: boolean }): SqlValue {
  return s.stale ? null : Number.isNaN(s.v) ? "NaN" : s.v;
}

export function fromSql(t: number, v: SqlValue): StoredSample {
  return v === null ? { t, v: Number.NaN, stale: true } : { t, v: typeof v === "number" ? v : Number.NaN };
}

/**
 * Recent samples, like Prometheus's head block. Appending straight into the (series_id, t)
 * B-tree dirties one page per series per commit, so a 200-series scrape rewrote ~200 pages of
 * WAL. The head is an append-only rowid table (one or two pages per commit) mirrored in memory
 * for queries, moved into `samples` in one transaction once it holds `limit` rows.
 */
export class SampleHead {
  private bySeries = new Map<number, StoredSample[]>();
  private rows = 0;
  private readonly insert;

  constructor(
    private readonly db: Database,
    readonly limit: number,
    load = true,
  ) {
    this.insert = load
      ? db.query<unknown, [number, number, SqlValue]>(
          "INSERT INTO samples_head (series_id, t, v) VALUES (?, ?, ?)",
        )
      : null;
    if (!load) return;
    const q = db.query<[number, number, SqlValue], []>(
      "SELECT series_id, t, v FROM samples_head ORDER BY rowid",
    );
    for (const [id, t, v] of q.values() as [number, number, SqlValue][]) this.remember(id, fromSql(t, v));
  }

  /** A head that holds nothing and takes nothing: a read-only store's. */
  static empty(db: Database): SampleHead {
    return new SampleHead(db, Number.POSITIVE_INFINITY, false);
  }

  get size(): number {
    return this.rows;
  }

  private remember(id: number, s: StoredSample): void {
    const list = this.bySeries.get(id);
    if (list) list.push(s);
    else this.bySeries.set(id, [s]);
    this.rows++;
  }

  /** Call inside the caller's transaction; `commit` makes the rows visible once it succeeded. */
  write(id: number, t: number, v: SqlValue): void {
    if (!this.insert) throw new Error("this metric store is read-only");
    this.insert.run(id, t, v);
  }

  commit(staged: { id: number; s: StoredSample }[]): void {
    for (const { id, s } of staged) this.remember(id, s);
  }

  has(id: number): boolean {
    return this.bySeries.has(id);
  }

  hasIn(id: number, startMs: number, endMs: number): boolean {
    return this.bySeries.get(id)?.some((s) => s.t >= startMs && s.t <= endMs) ?? false;
  }

  /** Merges head samples of a series over its stored ones (sorted, unique t); the head wins ties. */
  merge(id: number, stored: StoredSample[], startMs: number, endMs: number): StoredSample[] {
    const head = this.bySeries.get(id)?.filter((s) => s.t >= startMs && s.t <= endMs);
    if (!head || head.length === 0) return stored;
    let ordered = true;
    for (let i = 1; i < head.length && ordered; i++)
      ordered = (head[i] as StoredSample).t > (head[i - 1] as StoredSample).t;
    const lastStored = stored.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
    if (ordered && (head[0] as StoredSample).t > lastStored) return stored.concat(head);
    // Stable sort keeps head entries after stored ones of the same t, so the last one wins.
    const all = stored.concat(head).sort((a, b) => a.t - b.t);
    const out: StoredSample[] = [];
    for (const s of all) {
      if (out.length > 0 && (out.at(-1) as StoredSample).t === s.t) out[out.length - 1] = s;
      else out.push(s);
    }
    return out;
  }

  /** Moves every head row into `samples`, later rows replacing earlier ones for the same t. */
  compact(): void {
    if (this.rows === 0) return;
    this.db.transaction(() => {
      this.db.exec(
        "INSERT OR REPLACE INTO samples (series_id, t, v) SELECT series_id, t, v FROM samples_head ORDER BY rowid",
      );
      this.db.exec("DELETE FROM samples_head");
    })();
    this.bySeries.clear();
    this.rows = 0;
  }
}
