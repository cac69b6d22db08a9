import type { Labels, Matcher, QueryResult } from "../types";
import type { RunLogQuery } from "./loki-api";
import type { LogStore } from "./store";

/**
 * Label sets of the streams matching any of the matcher sets that hold at least one entry in [startMs, endMs]:
 * one indexed probe per matching stream (entries_stream_t), no line is read.
 */
export function streamsWithEntries(
  store: LogStore,
  matcherSets: Matcher[][],
  startMs: number,
  endMs: number,
): Labels[] {
  const probe = store.db.query<{ x: number }, [number, number, number]>(
    "SELECT 1 AS x FROM entries WHERE stream_id = ? AND t >= ? AND t <= ? LIMIT 1",
  );
  const seen = new Set<number>();
  const out: Labels[] = [];
  for (const matchers of matcherSets) {
    for (const s of store.selectStreams(matchers)) {
      if (seen.has(s.id) || probe.get(s.id, startMs, endMs) === null) continue;
      seen.add(s.id);
      out.push(s.labels);
    }
  }
  return out;
}

export interface IndexStats {
  streams: number;
  chunks: number;
  entries: number;
  bytes: number;
}

/** `{a="b",c=~"d"}` from parsed matchers; JSON string escapes are LogQL's too. */
export function selectorText(matchers: Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(",")}}`;
}

const scalar = (r: QueryResult) => (r.resultType === "vector" ? (r.result[0]?.v ?? 0) : 0);

/**
 * Loki's `index/stats`, counted exactly rather than estimated from an index: streams with entries in
 * [startMs, endMs], those entries, and the UTF-8 bytes of their lines. The counting scans lines, so it runs as
 * LogQL on the query workers under the query limits, never on the event loop. The store has no chunks: each
 * stream counts as one chunk, so `chunks` equals `streams`.
 */
export async function indexStats(
  run: RunLogQuery,
  matchers: Matcher[],
  startMs: number,
  endMs: number,
  signal?: AbortSignal,
): Promise<IndexStats> {
  // A range selector's window is (t - range, t]: one more millisecond takes in an entry at exactly startMs.
  const sel = `${selectorText(matchers)}[${endMs - startMs + 1}ms]`;
  const at = (query: string) =>
    run({ kind: "logql_instant", query, time: endMs }, signal).then((r) => scalar(r as QueryResult));
  const [streams, entries, bytes] = await Promise.all([
    at(`count(count_over_time(${sel}))`),
    at(`sum(count_over_time(${sel}))`),
    at(`sum(bytes_over_time(${sel}))`),
  ]);
  return { streams, chunks: streams, entries, bytes };
}
