import { Database } from "bun:sqlite";
import { applyMigrations } from "../../db/open";
import { matchesLabel } from "../matchers";
import type { Labels, Matcher, Series, SeriesQuerier } from "../types";
import { fingerprintOf, matchesAll, normalizeLabels } from "./labels";
import { metricMigrations } from "./migrations";
import type { StoredSample } from "./stale";
import { fromSql, SampleHead, toSql } from "./store-head";
import { type RetentionOptions, type RetentionResult, runRetention } from "./store-retention";

/** One sample to append; `stale: true` writes a staleness marker whatever `v` is. */
export interface AppendSample {
  labels: Labels;
  t: number;
  v: number;
  stale?: boolean;
}

export interface StoreStats {
  series: number;
  samples: number;
  /** Bytes in pages holding data (the file may be larger by its free pages). */
  dbBytes: number;
}

/** A series whose samples may carry `stale: true`; structurally a `Series`. */
export interface StoredSeries extends Series {
  samples: StoredSample[];
}

type Row = { id: number; labels: string };
type SqlValue = string | number | null;

export interface MetricStoreOptions {
  /** Head rows that trigger a move into the main samples table; default 50 000. */
  headLimit?: number;
  /**
   * A reader beside the process that writes (a query worker): no schema changes, no head of its own. It sees
   * what the writer has moved out of its head, which the writer does before it hands a query over.
   */
  readonly?: boolean;
}

// Far outside any real timestamp; used when a caller gives no time bounds.
const MIN_T = -8.64e15;
const MAX_T = 8.64e15;

/** Metric samples in SQLite, in their own database file, queried through label matchers. */
export class MetricStore implements SeriesQuerier {
  readonly db: Database;
  private ids = new Map<string, number>();
  private readonly head: SampleHead;

  constructor(path: string, opts: MetricStoreOptions = {}) {
    if (opts.readonly) {
      this.db = new Database(path, { readonly: true, strict: true });
      this.db.exec("PRAGMA busy_timeout = 5000");
      this.head = SampleHead.empty(this.db);
      return;
    }
    this.db = new Database(path, { create: true, strict: true });
    // Must precede the first table; lets retention hand freed pages back to the file system.
    this.db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec("PRAGMA busy_timeout = 5000");
    applyMigrations(this.db, metricMigrations);
    this.head = new SampleHead(this.db, opts.headLimit ?? 50_000);
  }

  /** Appends in one transaction; a repeated (series, t) replaces the earlier value. */
  append(batch: AppendSample[]): void {
    if (batch.length === 0) return;
    const staged: { id: number; s: StoredSample }[] = new Array(batch.length);
    try {
      this.db.transaction(() => {
        for (let i = 0; i < batch.length; i++) {
          const s = batch[i] as AppendSample;
          const id = this.seriesId(s.labels);
          const t = Math.round(s.t);
          const v: SqlValue = toSql(s);
          this.head.write(id, t, v);
          staged[i] = { id, s: fromSql(t, v) };
        }
      })();
    } catch (err) {
      // Series created in the rolled-back transaction no longer exist; their cached ids must go.
      this.ids.clear();
      throw err;
    }
    this.head.commit(staged);
    if (this.head.size >= this.head.limit) this.head.compact();
  }

  /** Moves recent samples from the head into the main table (done automatically as it fills). */
  flush(): void {
    this.head.compact();
  }

  private seriesId(labels: Labels): number {
    const norm = normalizeLabels(labels);
    const fp = fingerprintOf(norm);
    const cached = this.ids.get(fp);
    if (cached !== undefined) return cached;
    const existing = this.db
      .query<{ id: number }, [string]>("SELECT id FROM series WHERE fingerprint = ?")
      .get(fp);
    let id = existing?.id;
    if (id === undefined) {
      id = Number(
        this.db
          .query("INSERT INTO series (fingerprint, name, labels) VALUES (?, ?, ?)")
          .run(fp, norm.__name__ ?? "", fp).lastInsertRowid,
      );
      const insertLabel = this.db.query(
        "INSERT INTO series_labels (name, value, series_id) VALUES (?, ?, ?)",
      );
      for (const [k, v] of Object.entries(norm)) insertLabel.run(k, v, id);
    }
    this.ids.set(fp, id);
    return id;
  }

  /**
   * Series whose labels satisfy every matcher. Positive equality matchers (and regexes that cannot
   * match the empty string, which imply the label exists) narrow through the label index; every
   * matcher is then checked in JS.
   */
  private matching(matchers: Matcher[]): { id: number; labels: Labels }[] {
    const eq = matchers.filter((m) => m.op === "=" && m.value !== "");
    const present = matchers.filter((m) => m.op === "=~" && !matchesLabel(m, ""));
    let rows: Row[];
    if (eq.length > 0 || present.length > 0) {
      const parts: string[] = [];
      const params: string[] = [];
      for (const m of eq) {
        parts.push("SELECT series_id FROM series_labels WHERE name = ? AND value = ?");
        params.push(m.name, m.value);
      }
      for (const m of eq.length > 0 ? [] : present.slice(0, 1)) {
        parts.push("SELECT series_id FROM series_labels WHERE name = ?");
        params.push(m.name);
      }
      rows = this.db
        .query<Row, string[]>(
          `SELECT id, labels FROM series WHERE id IN (${parts.join(" INTERSECT ")}) ORDER BY id`,
        )
        .all(...params);
    } else {
      rows = this.db.query<Row, []>("SELECT id, labels FROM series ORDER BY id").all();
    }
    const out: { id: number; labels: Labels }[] = [];
    for (const r of rows) {
      const labels = JSON.parse(r.labels) as Labels;
      if (matchesAll(matchers, labels)) out.push({ id: r.id, labels });
    }
    return out;
  }

  /** Series matching all matchers, with their samples in [startMs, endMs]; empty ones left out. */
  select(matchers: Matcher[], startMs: number, endMs: number): StoredSeries[] {
    const q = this.db.query<[number, number | string | null], [number, number, number]>(
      "SELECT t, v FROM samples WHERE series_id = ? AND t >= ? AND t <= ? ORDER BY t",
    );
    const out: StoredSeries[] = [];
    for (const s of this.matching(matchers)) {
      const rows = q.values(s.id, startMs, endMs);
      const stored: StoredSample[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [t, v] = rows[i] as [number, SqlValue];
        stored[i] = fromSql(t, v);
      }
      const samples = this.head.merge(s.id, stored, startMs, endMs);
      if (samples.length > 0) out.push({ labels: s.labels, samples });
    }
    return out;
  }

  private hasSamples(id: number, startMs: number, endMs: number): boolean {
    if (this.head.hasIn(id, startMs, endMs)) return true;
    return (
      this.db
        .query<{ x: number }, [number, number, number]>(
          "SELECT 1 AS x FROM samples WHERE series_id = ? AND t >= ? AND t <= ? LIMIT 1",
        )
        .get(id, startMs, endMs) !== null
    );
  }

  /** Label sets of series matching any of the matcher sets (like `match[]`) with samples in range. */
  seriesMatching(matcherSets: Matcher[][], startMs = MIN_T, endMs = MAX_T): Labels[] {
    const seen = new Set<number>();
    const out: Labels[] = [];
    for (const ms of matcherSets) {
      for (const s of this.matching(ms)) {
        if (seen.has(s.id) || !this.hasSamples(s.id, startMs, endMs)) continue;
        seen.add(s.id);
        out.push(s.labels);
      }
    }
    return out;
  }

  private scoped(matchers: Matcher[] | undefined, startMs?: number, endMs?: number): Labels[] {
    const sets = matchers && matchers.length > 0 ? [matchers] : [[]];
    return this.seriesMatching(sets, startMs ?? MIN_T, endMs ?? MAX_T);
  }

  labelNames(matchers?: Matcher[], startMs?: number, endMs?: number): string[] {
    if (!matchers?.length && startMs === undefined && endMs === undefined) {
      return this.db
        .query<{ name: string }, []>("SELECT DISTINCT name FROM series_labels ORDER BY name")
        .all()
        .map((r) => r.name);
    }
    const names = new Set<string>();
    for (const l of this.scoped(matchers, startMs, endMs)) for (const k of Object.keys(l)) names.add(k);
    return [...names].sort();
  }

  labelValues(name: string, matchers?: Matcher[], startMs?: number, endMs?: number): string[] {
    if (!matchers?.length && startMs === undefined && endMs === undefined) {
      return this.db
        .query<{ value: string }, [string]>(
          "SELECT DISTINCT value FROM series_labels WHERE name = ? ORDER BY value",
        )
        .all(name)
        .map((r) => r.value);
    }
    const values = new Set<string>();
    for (const l of this.scoped(matchers, startMs, endMs)) {
      const v = l[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /** Bytes in pages holding data (page_count minus the free list). */
  usedBytes(): number {
    const n = (pragma: string) =>
      Object.values(this.db.query(`PRAGMA ${pragma}`).get() as object)[0] as number;
    return (n("page_count") - n("freelist_count")) * n("page_size");
  }

  stats(): StoreStats {
    this.head.compact();
    const count = (sql: string) => (this.db.query<{ n: number }, []>(sql).get() as { n: number }).n;
    return {
      series: count("SELECT COUNT(*) AS n FROM series"),
      samples: count("SELECT COUNT(*) AS n FROM samples"),
      dbBytes: this.usedBytes(),
    };
  }

  /**
   * Retention as a sequence of short transactions; each `yield` is a point where the caller may
   * let other work run. `enforceRetention` runs it to the end in one go.
   */
  retentionSteps(nowMs: number, opts: RetentionOptions = {}): Generator<void, RetentionResult> {
    // Old samples are all in the main table after this; the head then only takes new appends.
    this.head.compact();
    return runRetention(
      this.db,
      {
        usedBytes: () => this.usedBytes(),
        inHead: (id) => this.head.has(id),
        forgetSeriesIds: () => this.ids.clear(),
      },
      nowMs,
      opts,
    );
  }

  enforceRetention(nowMs: number, opts: RetentionOptions = {}): RetentionResult {
    const steps = this.retentionSteps(nowMs, opts);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  close(): void {
    this.head.compact();
    this.db.close();
  }
}
