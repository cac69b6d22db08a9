import { Database } from "bun:sqlite";
import type { Labels, Matcher, Series, SeriesQuerier } from "../types";

const schema = `
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, name TEXT NOT NULL, labels TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS series_name ON series (name);
CREATE TABLE IF NOT EXISTS samples (series_id INTEGER NOT NULL, t INTEGER NOT NULL, v REAL, PRIMARY KEY (series_id, t)) WITHOUT ROWID;
`;

export const fingerprint = (labels: Labels) =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );

/** Prometheus's stale marker: a specific NaN; SQLite keeps NULL for it and NaN is not storable anyway. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleBuf = new DataView(new ArrayBuffer(8));
staleBuf.setBigUint64(0, STALE_NAN_BITS);
export const StaleNaN = staleBuf.getFloat64(0);
export function isStale(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return b.getBigUint64(0) === STALE_NAN_BITS;
}

function matches(m: Matcher, value: string): boolean {
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return new RegExp(`^(?:${m.value})$`).test(value);
    case "!~":
      return !new RegExp(`^(?:${m.value})$`).test(value);
  }
}

/** Samples in SQLite, in their own database file; NULL stands for a staleness marker. */
export class MetricStore implements SeriesQuerier {
  readonly db: Database;
  private ids = new Map<string, number>();
  constructor(path: string) {
    this.db = new Database(path, { create: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.db.exec(schema);
  }

  private seriesId(labels: Labels): number {
    const fp = fingerprint(labels);
    let id = this.ids.get(fp);
    if (id !== undefined) return id;
    const row = this.db
      .query<{ id: number }, [string, string, string]>(
        "INSERT INTO series (fingerprint, name, labels) VALUES (?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET name = name RETURNING id",
      )
      .get(fp, labels.__name__ ?? "", JSON.stringify(labels));
    id = row?.id as number;
    this.ids.set(fp, id);
    return id;
  }

  append(batch: { labels: Labels; t: number; v: number }[]): void {
    const insert = this.db.query("INSERT OR REPLACE INTO samples (series_id, t, v) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      for (const s of batch)
        insert.run(
          this.seriesId(s.labels),
          Math.round(s.t),
          Number.isNaN(s.v) ? (isStale(s.v) ? null : Number.NaN) : s.v,
        );
    })();
  }

  select(matchers: Matcher[], startMs: number, endMs: number): Series[] {
    const name = matchers.find((m) => m.name === "__name__" && m.op === "=");
    const candidates = name
      ? this.db
          .query<{ id: number; labels: string }, [string]>("SELECT id, labels FROM series WHERE name = ?")
          .all(name.value)
      : this.db.query<{ id: number; labels: string }, []>("SELECT id, labels FROM series").all();
    const samplesQ = this.db.query<{ t: number; v: number | null }, [number, number, number]>(
      "SELECT t, v FROM samples WHERE series_id = ? AND t >= ? AND t <= ? ORDER BY t",
    );
    const out: Series[] = [];
    for (const c of candidates) {
      const labels = JSON.parse(c.labels) as Labels;
      if (!matchers.every((m) => matches(m, labels[m.name] ?? ""))) continue;
      const samples = samplesQ
        .all(c.id, startMs, endMs)
        .map((s) => ({ t: s.t, v: s.v === null ? StaleNaN : s.v }));
      if (samples.length) out.push({ labels, samples });
    }
    return out;
  }

  labelNames(): string[] {
    const names = new Set<string>();
    for (const r of this.db.query<{ labels: string }, []>("SELECT labels FROM series").all()) {
      for (const k of Object.keys(JSON.parse(r.labels))) names.add(k);
    }
    return [...names].sort();
  }

  labelValues(name: string): string[] {
    const values = new Set<string>();
    for (const r of this.db.query<{ labels: string }, []>("SELECT labels FROM series").all()) {
      const v = (JSON.parse(r.labels) as Labels)[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  enforceRetention(nowMs: number, maxAgeMs: number): number {
    return this.db.query("DELETE FROM samples WHERE t < ?").run(nowMs - maxAgeMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
