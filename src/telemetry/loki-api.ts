import { Elysia } from "elysia";
import { LogQLError, queryLogs } from "./lite/logql";
import type { LineStore } from "./lite/logs";

const bad = (error: string) =>
  Response.json({ status: "error", errorType: "bad_data", error }, { status: 400 });

/** Loki takes nanosecond epochs or RFC 3339; we keep milliseconds. */
function lokiTime(v: string | undefined, fallback: number): number {
  if (!v) return fallback;
  if (/^\d+$/.test(v))
    return v.length > 13 ? Math.floor(Number(v.slice(0, -6))) : Number(v) * (v.length <= 10 ? 1000 : 1);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new LogQLError(`invalid time "${v}"`);
  return ms;
}

/** The Loki query API shapes for log queries, so Grafana's Loki data source can read the embedded store. */
export function lokiApiRoutes(lines: LineStore, now: () => number) {
  return new Elysia().get("/loki/api/v1/query_range", ({ query }) => {
    const q = query as Record<string, string | undefined>;
    if (!q.query) return bad('invalid parameter "query": missing');
    try {
      const end = lokiTime(q.end, now());
      const start = lokiTime(q.start, end - 3_600_000);
      const limit = Math.min(5000, Number(q.limit ?? 100) || 100);
      const found = queryLogs(lines, q.query, start, end, limit);
      const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
      for (const l of found) {
        const key = JSON.stringify(Object.entries(l.labels).sort());
        const s = streams.get(key) ?? { stream: l.labels, values: [] };
        s.values.push([`${l.t}000000`, l.line]);
        streams.set(key, s);
      }
      if (q.direction === "forward") for (const s of streams.values()) s.values.reverse();
      return Response.json({
        status: "success",
        data: { resultType: "streams", result: [...streams.values()] },
      });
    } catch (err) {
      return bad((err as Error).message);
    }
  });
}
