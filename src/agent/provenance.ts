import type { TicketEvent } from "../tickets/model";

/**
 * Where the text in an action's arguments came from. Log lines, rate-limit keys, metric labels and ticket or
 * webhook text are written by whoever talks to the service; if an action carries a value that the brain saw
 * only there — not in the code, the config or anything Harness itself said — the action may be someone else's
 * instruction followed, and a person decides. Pure functions over the ticket's recorded events.
 */

/** Tools whose results carry text written by outsiders. */
export const untrustedTools = new Set([
  "query_logs",
  "query_metrics",
  "get_ticket",
  "list_tickets",
  "list_deploys",
]);

export interface UntrustedSource {
  /** `query_logs`, `ticket text`, … */
  source: string;
  text: string;
}

export interface Taint {
  /** The value in the action's arguments. */
  value: string;
  /** Where it appeared. */
  source: string;
}

/** The untrusted texts the brain has seen on this ticket: the brief (ticket text, observation) and tool results. */
export function untrustedSources(events: readonly TicketEvent[]): UntrustedSource[] {
  const out: UntrustedSource[] = [];
  for (const e of events) {
    if (e.kind === "agent_context")
      out.push({ source: "the ticket's text and observation", text: JSON.stringify(e.data.content) });
    else if (e.kind === "tool_result" && untrustedTools.has(String(e.data.name)))
      out.push({ source: `${String(e.data.name)} output`, text: String(e.data.content ?? "") });
  }
  return out;
}

/**
 * Tools whose successful results are Harness's own view of the service and its files. Not test output (the
 * tests are the model's code and print what it likes) and not errors (they may echo the arguments back).
 */
const trustedTools = new Set(["read_file", "list_files", "search_code", "get_config", "service_status"]);

/** Text the brain got from Harness and the service's own files. */
export function trustedText(events: readonly TicketEvent[]): string {
  return events
    .filter((e) => e.kind === "tool_result" && trustedTools.has(String(e.data.name)) && !e.data.is_error)
    .map((e) => String(e.data.content ?? ""))
    .join("\n");
}

/**
 * Values worth tracing: numbers of four or more digits, and words of six or more characters (identifiers,
 * hosts, URLs, keys). Shorter ones occur everywhere and prove nothing.
 */
export function distinctiveValues(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z0-9_][A-Za-z0-9_.:@/+-]*/g)) {
    const v = m[0].replace(/[.:/+-]+$/, "");
    if (/^\d+$/.test(v) ? v.length >= 4 : v.length >= 6) found.add(v);
  }
  return [...found];
}

/**
 * Values in `args` that are new (not in `baseline`, the text the action replaces), absent from everything
 * trusted, and present in an untrusted source.
 */
export function taintedValues(
  args: string,
  baseline: string,
  untrusted: readonly UntrustedSource[],
  trusted: string,
): Taint[] {
  const out: Taint[] = [];
  for (const v of distinctiveValues(args)) {
    if (baseline.includes(v) || trusted.includes(v)) continue;
    const hit = untrusted.find((s) => s.text.includes(v));
    if (hit) out.push({ value: v.length > 80 ? `${v.slice(0, 80)}…` : v, source: hit.source });
  }
  return out;
}

/**
 * A tool result as the model reads it: inside a labelled envelope that says whose text it is. Text inside that
 * looks like the envelope's own tags is defused, so a log line cannot close the envelope and speak as Harness.
 */
export function asData(tool: string, content: string): string {
  const trust = untrustedTools.has(tool) ? "untrusted" : tool === "run_tests" ? "service-output" : "harness";
  const safe = content.replace(/<(\/?)(tool_output)/gi, "&lt;$1$2");
  return `<tool_output tool="${tool}" trust="${trust}">\n${safe}\n</tool_output>`;
}
