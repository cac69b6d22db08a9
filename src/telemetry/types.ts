// Shared shapes between the embedded metric store, the PromQL engine and the backends.
// Times are Unix milliseconds everywhere inside Harness; the HTTP APIs convert at the edge.

export type Labels = Record<string, string>;

export interface Sample {
  t: number;
  v: number;
}

export interface Series {
  labels: Labels;
  samples: Sample[];
}

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** What the PromQL engine reads from: series matching all matchers with samples in [startMs, endMs]. */
export interface SeriesQuerier {
  select(matchers: Matcher[], startMs: number, endMs: number): Series[];
}

/** Query results in the shapes of the Prometheus HTTP API (times still in ms). */
export type InstantSample = { labels: Labels; t: number; v: number };
export type QueryResult =
  | { resultType: "vector"; result: InstantSample[] }
  | { resultType: "matrix"; result: Series[] }
  | { resultType: "scalar"; result: Sample }
  | { resultType: "string"; result: { t: number; v: string } };

/** How the monitor and the agent see metrics, embedded or remote. */
export interface MetricsBackend {
  readonly kind: "embedded" | "prometheus";
  instantQuery(expr: string, timeMs: number): Promise<QueryResult>;
  rangeQuery(expr: string, startMs: number, endMs: number, stepMs: number): Promise<QueryResult>;
}

/** One log line as the agent and the dashboard read it. */
export interface LogLine {
  t: number;
  labels: Labels;
  line: string;
}

/** How the monitor and the agent see logs, embedded or remote (Loki, Grafana Cloud Logs). */
export interface LogsBackend {
  readonly kind: "embedded" | "loki";
  /** A LogQL log query over [startMs, endMs]: newest lines first, at most `limit`, across streams. */
  lines(query: string, startMs: number, endMs: number, limit: number): Promise<LogLine[]>;
  /** A LogQL metric query (e.g. `sum(count_over_time({…} |= "error" [5m]))`) at one instant. */
  instantQuery(query: string, timeMs: number): Promise<QueryResult>;
}
