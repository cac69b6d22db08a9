import { Database } from "bun:sqlite";
import m001 from "../../../sql/logs/001_init.sql" with { type: "text" };
import type { Migration } from "../../db/migrations";
import { openDatabase } from "../../db/open";
import type { Labels, Matcher } from "../types";
import { matchesLabel } from "./labels";

/** Listed explicitly so `bun build --compile` embeds every file. */
export const logMigrations: Migration[] = [{ version: 1, name: "logs/001_init.sql", sql: m001 }];

export interface LogEntryInput {
  labels: Labels;
  t: number;
  line: string;
}

export interface LogStream {
  id: number;
  labels: Labels;
}

export interface ScannedEntry {
  id: number;
  streamId: number;
  t: number;
  line: string;
}

export interface ScanOptions {
  direction: "backward" | "forward";
  limit: number;
  /** Literal substrings every line must contain (the `|=` filters). */
  containsAll?: string[];
}

export interface RetentionOptions {
  maxAgeMs?: number;
  maxBytes?: number;
  batchSize?: number;
}

export const DEFAULT_MAX_AGE_MS = 35 * 86_400_000;
export const DEFAULT_MAX_BYTES = 1024 ** 3;

export const fingerprint = (labels: Labels): string =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

/**
 * FTS query for substring terms: the AND of each term's distinct trigrams (terms shorter than
 * three characters cannot use the index). Null when no term is indexable.
 */
export function ftsQuery(terms: string[], maxTrigrams = 24): string | null {
  const grams = new Set<string>();
  for (const term of terms) {
    const chars = [...term];
    for (let i = 0; i + 3 <= chars.length; i++) grams.add(chars.slice(i, i + 3).join(""));
  }
  if (grams.size === 0) return null;
  // Beyond a couple of dozen trigrams the intersection costs more than the re-check saves.
  return [...grams]
    .slice(0, maxTrigrams)
    .map((g) => `"${g.replaceAll('"', '""')}"`)
    .join(" AND ");
}

/** Log lines in SQLite (own database file), with a trigram FTS5 index used to pre-filter `|=`. */
export class LogStore {
  readonly db: Database;
  private streamIds = new Map<string, number>();

  /** `readonly`: a reader beside the writing process (a query worker); no schema changes. */
  constructor(path: string, opts: { readonly?: boolean } = {}) {
    if (opts.readonly) {
      this.db = new Database(path, { readonly: true, strict: true });
      this.db.exec("PRAGMA busy_timeout = 5000");
    } else this.db = openDatabase(path, logMigrations);
  }

  append(entries: LogEntryInput[]): void {
    const insertEntry = this.db.query("INSERT INTO entries (stream_id, t, line) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const e of entries) insertEntry.run(this.streamId(e.labels), Math.round(e.t), e.line);
    })();
  }

  private streamId(labels: Labels): number {
    const fp = fingerprint(labels);
    const cached = this.streamIds.get(fp);
    if (cached !== undefined) return cached;
    const existing = this.db
      .query<{ id: number }, [string]>("SELECT id FROM streams WHERE fingerprint = ?")
      .get(fp);
    let id = existing?.id;
    if (id === undefined) {
      const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
      id = Number(
        this.db
          .query("INSERT INTO streams (fingerprint, labels) VALUES (?, ?)")
          .run(fp, JSON.stringify(sorted)).lastInsertRowid,
      );
      const insertLabel = this.db.query(
        "INSERT INTO stream_labels (name, value, stream_id) VALUES (?, ?, ?)",
      );
      for (const [k, v] of Object.entries(labels)) insertLabel.run(k, v, id);
    }
    this.streamIds.set(fp, id);
    return id;
  }

  selectStreams(matchers: Matcher[]): LogStream[] {
    // Narrow with the index on one positive equality matcher, then check all matchers in JS.
    const eq = matchers.find((m) => m.op === "=" && m.value !== "");
    const rows = eq
      ? this.db
          .query<{ id: number; labels: string }, [string, string]>(
            "SELECT s.id, s.labels FROM stream_labels l JOIN streams s ON s.id = l.stream_id WHERE l.name = ? AND l.value = ?",
          )
          .all(eq.name, eq.value)
      : this.db.query<{ id: number; labels: string }, []>("SELECT id, labels FROM streams").all();
    return rows
      .map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Labels }))
      .filter((s) => matchers.every((m) => matchesLabel(m, s.labels[m.name])))
      .sort((a, b) => a.id - b.id);
  }

  /** Entries of the given streams in [startMs, endMs], lazily, newest or oldest first. */
  *iterate(
    streamIds: number[],
    startMs: number,
    endMs: number,
    opts: Omit<ScanOptions, "limit">,
  ): Generator<ScannedEntry> {
    if (streamIds.length === 0) return;
    const order = opts.direction === "backward" ? "DESC" : "ASC";
    const terms = opts.containsAll ?? [];
    const match = ftsQuery(terms);
    const sql = `SELECT id, stream_id AS streamId, t, line FROM entries
      WHERE stream_id IN (SELECT value FROM json_each(?)) AND t >= ? AND t <= ?
      ${match ? "AND id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)" : ""}
      ORDER BY t ${order}, id ${order}`;
    const params: (string | number)[] = [JSON.stringify(streamIds), startMs, endMs];
    if (match) params.push(match);
    // Uncached statement: two scans may be in flight at once (e.g. both sides of a binary operation).
    for (const row of this.db.prepare<ScannedEntry, (string | number)[]>(sql).iterate(...params)) {
      // FTS is only a pre-filter: short terms are not indexed and tokenisation is not substring search.
      if (terms.every((t) => row.line.includes(t))) yield row;
    }
  }

  scan(streamIds: number[], startMs: number, endMs: number, opts: ScanOptions): ScannedEntry[] {
    const out: ScannedEntry[] = [];
    if (opts.limit <= 0) return out;
    for (const e of this.iterate(streamIds, startMs, endMs, opts)) {
      out.push(e);
      if (out.length >= opts.limit) break;
    }
    return out;
  }

  labelNames(): string[] {
    return this.db
      .query<{ name: string }, []>("SELECT DISTINCT name FROM stream_labels ORDER BY name")
      .all()
      .map((r) => r.name);
  }

  labelValues(name: string): string[] {
    return this.db
      .query<{ value: string }, [string]>(
        "SELECT DISTINCT value FROM stream_labels WHERE name = ? ORDER BY value",
      )
      .all(name)
      .map((r) => r.value);
  }

  /** Bytes in use by the database (pages not on the free list). */
  usedBytes(): number {
    const n = (pragma: string) =>
      Object.values(this.db.query(`PRAGMA ${pragma}`).get() as object)[0] as number;
    return (n("page_count") - n("freelist_count")) * n("page_size");
  }

  /**
   * Deletes entries older than maxAgeMs, then the oldest share of entries if the database is over
   * maxBytes, in small batches so writers are never blocked for long. Returns entries deleted.
   */
  enforceRetention(nowMs: number, opts: RetentionOptions = {}): { deleted: number; streamsDeleted: number } {
    const maxAge = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const batch = opts.batchSize ?? 2000;
    let deleted = 0;
    const byAge = this.db.query(
      "DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE t < ? ORDER BY t LIMIT ?)",
    );
    for (;;) {
      const n = byAge.run(nowMs - maxAge, batch).changes;
      deleted += n;
      if (n < batch) break;
    }
    const used = this.usedBytes();
    if (used > maxBytes) {
      // FTS deletions free pages only at segment merges, so measuring after each batch would
      // overshoot; delete the proportional oldest share (plus slack) in one pass instead.
      const total = (this.db.query("SELECT COUNT(*) AS n FROM entries").get() as { n: number }).n;
      let toDelete = Math.ceil(total * Math.min(1, (used - maxBytes) / used + 0.05));
      const oldest = this.db.query(
        "DELETE FROM entries WHERE id IN (SELECT id FROM entries ORDER BY t LIMIT ?)",
      );
      while (toDelete > 0) {
        const n = oldest.run(Math.min(batch, toDelete)).changes;
        deleted += n;
        toDelete -= n;
        if (n === 0) break;
      }
    }
    let streamsDeleted = 0;
    if (deleted > 0) {
      streamsDeleted = this.db
        .query(
          "DELETE FROM streams WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.stream_id = streams.id)",
        )
        .run().changes;
      if (streamsDeleted > 0) this.streamIds.clear();
    }
    return { deleted, streamsDeleted };
  }

  close(): void {
    this.db.close();
  }
}
