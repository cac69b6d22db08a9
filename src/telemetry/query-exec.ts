import { AppError } from "../lib/errors";
import { LogQLError } from "./logs/logql-ast";
import { instantLogQuery, queryLogs, rangeLogQuery, type StreamsResult } from "./logs/logql-eval";
import { parseLogQL } from "./logs/logql-parse";
import type { LogStore } from "./logs/store";
import { instantQuery, PromQLError, rangeQuery } from "./promql/promql";
import { checkArity } from "./promql/promql-arity";
import { parse as parsePromQL } from "./promql/promql-parse";
import { maxTimestampMs, QueryBudget, type QueryLimits, withBudget } from "./query-limits";
import type { QueryResult, SeriesQuerier } from "./types";

/**
 * One query as data: what the API, the dashboard, the monitor and the agent ask of the embedded stores. It
 * crosses to a query worker by structured clone, so it holds times and text, never objects.
 */
export type QueryTask =
  | { kind: "promql_instant"; expr: string; time: number }
  | { kind: "promql_range"; expr: string; start: number; end: number; step: number }
  | { kind: "logql_instant"; query: string; time: number }
  | { kind: "logql_range"; query: string; start: number; end: number; step: number }
  | {
      kind: "logql_lines";
      query: string;
      start: number;
      end: number;
      limit: number;
      direction: "forward" | "backward";
    };

export type QueryOutput = QueryResult | StreamsResult;

export interface QueryStores {
  metrics: () => SeriesQuerier;
  logs: () => LogStore;
}

const bad = (message: string) => new AppError("invalid", message);

function checkTime(name: string, t: number): void {
  if (!Number.isFinite(t) || Math.abs(t) > maxTimestampMs)
    throw bad(`invalid parameter "${name}": ${t} is not a timestamp between -292 and +292 years from 1970`);
}

/**
 * Checks what can be checked before any work: finite, sane timestamps and steps, the points and length
 * limits, and that the query parses. Everything here is the caller's mistake: `bad_data`, 400.
 */
export function validateTask(task: QueryTask, limits: QueryLimits): void {
  if ("time" in task) checkTime("time", task.time);
  if ("start" in task) {
    checkTime("start", task.start);
    checkTime("end", task.end);
    if (task.end < task.start)
      throw bad('invalid parameter "end": end timestamp must not be before start time');
    const logs = task.kind.startsWith("logql");
    const maxLength = logs ? limits.logs.maxLengthMs : limits.maxLengthMs;
    if (maxLength > 0 && task.end - task.start > maxLength)
      throw bad(
        `the query time range exceeds the limit (${logs ? "query.logs.max_length" : "query.max_length"} = ${Math.round(maxLength / 3_600_000)}h)`,
      );
  }
  if ("step" in task) {
    if (!Number.isFinite(task.step) || task.step <= 0)
      throw bad("zero or negative query resolution step widths are not accepted. Try a positive integer");
    if ((task.end - task.start) / task.step > limits.maxPoints)
      throw bad(
        `exceeded maximum resolution of ${limits.maxPoints} points per timeseries (query.max_points). Try decreasing the query resolution (?step=XX)`,
      );
  }
  if (task.kind === "logql_lines" && task.limit > limits.logs.maxEntries)
    throw bad(
      `max entries limit per query exceeded, limit > query.logs.max_entries (${task.limit} > ${limits.logs.maxEntries})`,
    );
  try {
    if (task.kind.startsWith("promql")) {
      const expr = (task as { expr: string }).expr;
      checkArity(parsePromQL(expr), expr);
    } else parseLogQL((task as { query: string }).query);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw bad((err as Error).message);
  }
}

function seriesCount(out: QueryOutput): number {
  return Array.isArray(out.result) ? out.result.length : 1;
}

/**
 * Runs a task under its budget. Errors come out as AppErrors with Prometheus's types: a limit or an engine
 * failure during evaluation is `execution` (422), the deadline `timeout` (503).
 */
export function executeQuery(
  task: QueryTask,
  stores: QueryStores,
  limits: QueryLimits,
  deadline: number,
  cancelled?: () => boolean,
): QueryOutput {
  validateTask(task, limits);
  const budget = new QueryBudget(limits, deadline, cancelled);
  budget.check();
  try {
    const out = withBudget(budget, (): QueryOutput => {
      switch (task.kind) {
        case "promql_instant":
          return instantQuery(stores.metrics(), task.expr, task.time);
        case "promql_range":
          return rangeQuery(stores.metrics(), task.expr, task.start, task.end, task.step);
        case "logql_instant":
          return instantLogQuery(stores.logs(), task.query, task.time);
        case "logql_range":
          return rangeLogQuery(stores.logs(), task.query, task.start, task.end, task.step);
        case "logql_lines":
          return queryLogs(stores.logs(), task.query, {
            startMs: task.start,
            endMs: task.end,
            limit: task.limit,
            direction: task.direction,
          });
      }
    });
    if (task.kind.startsWith("logql") && seriesCount(out) > limits.logs.maxSeries)
      throw new AppError(
        "execution",
        `maximum of series (${limits.logs.maxSeries}) reached for a single query (query.logs.max_series)`,
      );
    return out;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof PromQLError || err instanceof LogQLError) throw new AppError("execution", err.message);
    // The engines compile the caller's regular expressions as they meet them: one that does not compile is
    // the caller's mistake, as Prometheus reports it at parse time.
    if (err instanceof SyntaxError) throw new AppError("invalid", err.message);
    throw err;
  }
}

/**
 * Runs queries on the calling thread, under the same limits: for the CLI, benchmarks and in-memory stores
 * that a worker cannot open. A server never uses it: one query would hold up everything else.
 */
export function inlineQueries(stores: QueryStores, limits: QueryLimits) {
  return async (task: QueryTask): Promise<QueryOutput> =>
    executeQuery(task, stores, limits, performance.now() + limits.timeoutMs);
}
