import type { Database } from "bun:sqlite";
import { z } from "zod";
import { formatDuration, parseDuration } from "../lib/duration";
import { durationText, ruleName } from "../lib/parse";
import { definitionTable } from "./crud";
import { Severity } from "./model";
import { ruleStateKey } from "./rule-state-store";

const duration = durationText({ positive: true });

export const AnomalyInput = z.object({
  name: ruleName,
  query: z.string().trim().min(1).max(4000),
  method: z.enum(["zscore", "mad", "seasonal"]).default("mad"),
  sensitivity: z.number().positive().max(100).default(4),
  window: duration.default("1h"),
  min_history: duration.default("30m"),
  cooldown: duration.default("30m"),
  /** The smallest change worth a ticket, in the query's unit (a floor on the spread); 0 = none. */
  min_change: z.number().min(0).default(0),
  /** How long the value must stay anomalous before a ticket opens. */
  for: durationText().default("0s"),
  severity: Severity.default("warning"),
  description: z.string().max(2000).default(""),
  enabled: z.boolean().default(true),
});

export interface Anomaly {
  id: number;
  name: string;
  query: string;
  method: "zscore" | "mad" | "seasonal";
  sensitivity: number;
  window: string;
  window_ms: number;
  min_history: string;
  min_history_ms: number;
  cooldown: string;
  cooldown_ms: number;
  min_change: number;
  for: string;
  for_ms: number;
  severity: Severity;
  description: string;
  enabled: boolean;
  /** When the detector was created or last changed: it learns "usual" only from points after this. */
  updated_at: number;
}

export function createAnomalyRepo(db: Database, now: () => number) {
  const t = definitionTable({
    db,
    table: "anomalies",
    kind: "anomaly detector",
    schema: AnomalyInput,
    now,
    toColumns: (v) => ({
      name: v.name,
      query: v.query,
      method: v.method,
      sensitivity: v.sensitivity,
      window_ms: parseDuration(v.window),
      min_history_ms: parseDuration(v.min_history),
      cooldown_ms: parseDuration(v.cooldown),
      min_change: v.min_change,
      for_ms: parseDuration(v.for),
      severity: v.severity,
      description: v.description,
      enabled: v.enabled ? 1 : 0,
    }),
    fromRow: (r): Anomaly => ({
      id: r.id as number,
      name: r.name as string,
      query: r.query as string,
      method: r.method as Anomaly["method"],
      sensitivity: r.sensitivity as number,
      window: formatDuration(r.window_ms as number),
      window_ms: r.window_ms as number,
      min_history: formatDuration(r.min_history_ms as number),
      min_history_ms: r.min_history_ms as number,
      cooldown: formatDuration(r.cooldown_ms as number),
      cooldown_ms: r.cooldown_ms as number,
      min_change: r.min_change as number,
      for: formatDuration(r.for_ms as number),
      for_ms: r.for_ms as number,
      severity: r.severity as Severity,
      description: r.description as string,
      enabled: r.enabled === 1,
      updated_at: r.updated_at as number,
    }),
    stateKey: (a: Anomaly) => ruleStateKey("anomaly", a.name),
  });
  const editable = (a: Anomaly) => ({
    name: a.name,
    query: a.query,
    method: a.method,
    sensitivity: a.sensitivity,
    window: a.window,
    min_history: a.min_history,
    cooldown: a.cooldown,
    min_change: a.min_change,
    for: a.for,
    severity: a.severity,
    description: a.description,
    enabled: a.enabled,
  });
  return { ...t, update: (id: number, input: unknown) => t.update(id, input, editable) };
}

/** Defaults shipped for the rate limiter: request rate, denial ratio and p99 latency. */
export const defaultAnomalies: z.input<typeof AnomalyInput>[] = [
  {
    name: "RequestRateAnomaly",
    query: 'sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))',
    method: "seasonal",
    // Demand moves for harmless reasons (and on day one this judges the trailing hour): only a change that
    // lasts is worth a ticket.
    for: "5m",
    description: "Request rate unlike the same time yesterday and last week",
  },
  {
    name: "DenialRatioAnomaly",
    query:
      '(sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[5m])) or vector(0)) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))',
    method: "mad",
    // Most of the time nothing is denied: without a floor the first few denials would look like a jump.
    min_change: 0.05,
    description: "Share of denied checks unlike the last hour",
  },
  {
    name: "P99LatencyAnomaly",
    query:
      'histogram_quantile(0.99, sum by (le) (rate(ratelimiter_http_request_duration_seconds_bucket{job="rate-limiter",route="/v1/check"}[5m])))',
    method: "mad",
    min_change: 0.005,
    description: "p99 latency of checks unlike the last hour",
  },
];
