import { Database } from "bun:sqlite";
import type { Labels } from "../types";

/** Service output lines with their stream labels; LogQL over them comes with the log store proper. */
export class LineStore {
  readonly db: Database;
  private insert;
  constructor(path: string) {
    this.db = new Database(path, { create: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS lines (id INTEGER PRIMARY KEY, t INTEGER NOT NULL, labels TEXT NOT NULL, line TEXT NOT NULL)",
    );
    this.db.exec("CREATE INDEX IF NOT EXISTS lines_t ON lines (t)");
    this.insert = this.db.query("INSERT INTO lines (t, labels, line) VALUES (?, ?, ?)");
  }

  append(labels: Labels, line: string, t: number): void {
    this.insert.run(t, JSON.stringify(labels), line);
  }

  recent(limit = 100, contains?: string): { t: number; labels: Labels; line: string }[] {
    const rows = contains
      ? this.db
          .query<{ t: number; labels: string; line: string }, [string, number]>(
            "SELECT t, labels, line FROM lines WHERE instr(line, ?) > 0 ORDER BY id DESC LIMIT ?",
          )
          .all(contains, limit)
      : this.db
          .query<{ t: number; labels: string; line: string }, [number]>(
            "SELECT t, labels, line FROM lines ORDER BY id DESC LIMIT ?",
          )
          .all(limit);
    return rows.map((r) => ({ t: r.t, labels: JSON.parse(r.labels), line: r.line }));
  }

  /** Newest first; a literal `contains` narrows the scan in SQL before the caller's exact checks. */
  *scan(
    startMs: number,
    endMs: number,
    contains?: string,
  ): Generator<{ t: number; labels: Labels; line: string }> {
    type Row = { t: number; labels: string; line: string };
    const rows = contains
      ? this.db
          .query<Row, [number, number, string]>(
            "SELECT t, labels, line FROM lines WHERE t >= ? AND t <= ? AND instr(line, ?) > 0 ORDER BY t DESC, id DESC",
          )
          .iterate(startMs, endMs, contains)
      : this.db
          .query<Row, [number, number]>(
            "SELECT t, labels, line FROM lines WHERE t >= ? AND t <= ? ORDER BY t DESC, id DESC",
          )
          .iterate(startMs, endMs);
    for (const r of rows) yield { t: r.t, labels: JSON.parse(r.labels), line: r.line };
  }

  close(): void {
    this.db.close();
  }
}
