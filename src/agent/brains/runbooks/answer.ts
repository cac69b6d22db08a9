import { goldenQueries } from "../../../monitor/golden-signals";
import { sampleValue } from "../../../telemetry/sample-value";
import type { QueryResult } from "../../../telemetry/types";
import type { Ticket } from "../../../tickets/model";
import type { ContentBlock } from "../../types";
import { type Conversation, call, say, type Turn } from "./conversation";

/**
 * A ticket without success criteria (a person's question, a page) has no fix the monitor could verify. The
 * runbook measures what the objective asks about, if it is one of the service's golden signals, says the
 * values it saw — "no data" when a query returned nothing — and ends `answered`; anything else it hands to a
 * person (`needs_human`). Reading the objective only chooses what to measure: no action follows from it.
 */

export interface Measure {
  name: string;
  /** Words in the objective or title that ask for it. */
  asks: RegExp;
  query: string;
  unit: "ms" | "ratio" | "per second";
}

export const measures: Measure[] = [
  {
    name: "p99 latency of /v1/check over 5m",
    asks: /\bp9[59]\b|latenc|slow/i,
    query: goldenQueries.p99_s,
    unit: "ms",
  },
  {
    name: "share of /v1/check answered with a 5xx over 5m",
    asks: /\b5xx\b|\berrors?\b|availab/i,
    query: goldenQueries.error_ratio,
    unit: "ratio",
  },
  {
    name: "share of checks denied over 5m",
    asks: /\bden(y|ied|ials?)\b|\bblocked\b|\b429\b/i,
    query: goldenQueries.denial_ratio,
    unit: "ratio",
  },
  {
    name: "checks per second over 5m",
    asks: /\btraffic\b|\brate\b|\bthroughput\b|\brequests?\b/i,
    query: goldenQueries.rate,
    unit: "per second",
  },
];

/** What the objective (and title) ask to be measured, in the table's order. */
export const asked = (t: Ticket): Measure[] =>
  measures.filter((m) => m.asks.test(`${t.title}\n${t.objective}`));

/** The first turn on a criteria-less ticket: the service's state, and each asked-for measure. */
export function measureAsked(t: Ticket, turn: number): ContentBlock[] {
  const wanted = asked(t);
  return [
    say("This ticket has no success criteria: measuring what it asks, to answer it."),
    ...wanted.map((m, i) => call(turn, i, "query_metrics", { query: m.query })),
    call(turn, wanted.length, "service_status", {}),
  ];
}

const format = (m: Measure, v: number): string =>
  m.unit === "ms"
    ? `${(v * 1000).toPrecision(3)} ms`
    : m.unit === "ratio"
      ? `${(v * 100).toPrecision(3)} %`
      : `${v.toPrecision(4)}/s`;

/**
 * The findings of the measuring turn, one line per measure, each from the value its query returned — or
 * "no data" — and the end: `answer` when something was measured, `needs_human` when nothing could be.
 */
export function answerFromMeasures(t: Ticket, c: Conversation, turn: Turn): ContentBlock[] {
  const wanted = asked(t);
  const lines = wanted.map((m, i) => {
    const r = turn.results.get(turn.calls[i]?.id ?? "");
    if (!r || r.is_error) return `${m.name}: the query failed (${m.query})`;
    const v = sampleValue(JSON.parse(r.content) as QueryResult);
    return v === null ? `${m.name}: no data (${m.query})` : `${m.name}: ${format(m, v)} (${m.query})`;
  });
  const measured = lines.filter((l) => !/: (no data|the query failed) \(/.test(l));
  if (measured.length > 0)
    return [call(c.n, 0, "answer", { findings: `Measured now:\n${lines.join("\n")}` })];
  const why =
    wanted.length === 0
      ? "The ticket has no success criteria and asks for nothing the runbook can measure"
      : `The ticket has no success criteria and what it asks could not be measured:\n${lines.join("\n")}`;
  return [call(c.n, 0, "needs_human", { reason: `${why}. A person should decide what to check or do.` })];
}
