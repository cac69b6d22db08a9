import type { Database } from "bun:sqlite";

export interface RetentionOptions {
  /** Samples older than now - maxAgeMs go; default 35 days. */
  maxAgeMs?: number;
  /** Oldest samples go until the data pages fit; default 1 GiB. */
  maxBytes?: number;
  /** Rows deleted per transaction. */
  batchSize?: number;
}

export interface RetentionResult {
  samplesDeleted: number;
  seriesDeleted: number;
}

export interface RetentionHooks {
  usedBytes(): number;
  /** Whether a series has samples not yet in the main table (so it is not empty). */
  inHead(id: number): boolean;
  forgetSeriesIds(): void;
}

export const DEFAULT_MAX_AGE_MS = 35 * 86_400_000;
export const DEFAULT_MAX_BYTES = 1024 ** 3;
// Each size round re-measures, so skewed time distributions converge in a few rounds.
const MAX_SIZE_ROUNDS = 20;

/**
 * Deletes old samples series by series through the (series_id, t) primary key, so no index on
 * t alone is needed (it would slow every insert). Yields after each short transaction.
 */
export function* runRetention(
  db: Database,
  hooks: RetentionHooks,
  nowMs: number,
  opts: RetentionOptions,
): Generator<void, RetentionResult> {
  const maxAge = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const batch = Math.max(1, opts.batchSize ?? 5000);
  const deleteOld = db.query<unknown, [number, number, number, number]>(
    "DELETE FROM samples WHERE series_id = ? AND t IN (SELECT t FROM samples WHERE series_id = ? AND t < ? ORDER BY t LIMIT ?)",
  );
  const seriesIds = () =>
    db
      .query<{ id: number }, []>("SELECT id FROM series ORDER BY id")
      .all()
      .map((r) => r.id);

  let samplesDeleted = 0;
  /** Deletes every sample before cutoffMs, at most `batch` rows per transaction. */
  function* deleteBefore(cutoffMs: number): Generator<void, number> {
    const ids = seriesIds();
    let deleted = 0;
    let i = 0;
    while (i < ids.length) {
      const start = i;
      // One transaction per step: runs series until the row budget is spent.
      const [next, n] = db.transaction((): [number, number] => {
        let budget = batch;
        let j = start;
        while (j < ids.length && budget > 0) {
          const id = ids[j] as number;
          const n = deleteOld.run(id, id, cutoffMs, budget).changes;
          budget -= n;
          if (budget > 0) j++; // this series is done; otherwise it may have more left
        }
        return [j, batch - budget];
      })();
      i = next;
      deleted += n;
      yield;
    }
    return deleted;
  }

  samplesDeleted += yield* deleteBefore(nowMs - maxAge);

  for (let round = 0; round < MAX_SIZE_ROUNDS; round++) {
    const used = hooks.usedBytes();
    if (used <= maxBytes) break;
    const span = db
      .query<{ lo: number | null; hi: number | null }, []>(
        `SELECT min(lo) AS lo, max(hi) AS hi FROM (
           SELECT (SELECT min(t) FROM samples WHERE series_id = s.id) AS lo,
                  (SELECT max(t) FROM samples WHERE series_id = s.id) AS hi FROM series s)`,
      )
      .get();
    if (span?.lo == null || span.hi == null) break;
    // Assume samples spread evenly over time; cut the oldest share over the limit plus slack.
    const share = Math.min(1, (used - maxBytes) / used + 0.02);
    const cutoff = Math.max(span.lo + 1, Math.ceil(span.lo + share * (span.hi - span.lo)));
    const n = yield* deleteBefore(cutoff);
    samplesDeleted += n;
    db.exec("PRAGMA incremental_vacuum");
    if (n === 0 && cutoff > span.hi) break;
  }

  let seriesDeleted = 0;
  if (samplesDeleted > 0) {
    const empty = db
      .query<{ id: number }, []>(
        "SELECT id FROM series s WHERE NOT EXISTS (SELECT 1 FROM samples WHERE series_id = s.id)",
      )
      .all()
      .map((r) => r.id);
    const delSeries = db.query<unknown, [number]>("DELETE FROM series WHERE id = ?");
    const delLabels = db.query<unknown, [number]>("DELETE FROM series_labels WHERE series_id = ?");
    for (let i = 0; i < empty.length; i += batch) {
      const chunk = empty.slice(i, i + batch);
      db.transaction(() => {
        for (const id of chunk) {
          // Checked here, not when listing: an append during an earlier yield may have revived it.
          if (hooks.inHead(id)) continue;
          delLabels.run(id);
          seriesDeleted += delSeries.run(id).changes;
        }
      })();
      yield;
    }
    if (seriesDeleted > 0) hooks.forgetSeriesIds();
    db.exec("PRAGMA incremental_vacuum");
  }
  return { samplesDeleted, seriesDeleted };
}
