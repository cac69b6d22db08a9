import type { Ticket } from "../../../tickets/model";
import { call, say, type ToolResult } from "./conversation";
import { finish } from "./steps";
import type { Runbook } from "./types";

/** The rate limiter's sampled denials (1 in log.deny_sample), each naming the bucket key it hit. */
// A line filter, not `| json`: extracted fields would become labels and multiply the output's size.
export const denialLogQuery = '{service="rate-limiter"} |= "\\"msg\\":\\"denied\\""';
/** Below this many sampled denials, the shares say nothing. */
const minDenialSamples = 10;

/**
 * Explains an anomaly from the sampled denial log: one key with most of the denials is a noisy neighbour the
 * limiter is already holding to its limit; a rate anomaly without a fault is a change in demand. Neither
 * needs a change to the service: the monitor verifies once the value is back in its usual range.
 */
export function denialAttribution(t: Ticket, logLines: { line: string }[]): string {
  const counts = new Map<string, number>();
  for (const l of logLines) {
    try {
      const key = (JSON.parse(l.line) as { key?: unknown }).key;
      if (typeof key === "string") counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not one of the service's JSON lines: ignore it
    }
  }
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  const [top, topCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const pct = `${Math.round((n > 0 ? topCount / n : 0) * 100)}%`;
  const sample = `${n} sampled denials in the last 5 minutes`;
  const verify = "No change made; the monitor verifies once the value is back in its usual range.";
  const query = t.success_criteria[0]?.query ?? "";
  if (!/denied/.test(query))
    return (
      `A change in demand, not a fault: the service answers normally (${sample}` +
      `${n >= minDenialSamples ? `, ${pct} of them for ${top}` : ""}). ${verify}`
    );
  if (n < minDenialSamples)
    return `Too few denials sampled (${n}) to attribute the jump to a client. ${verify}`;
  if (topCount >= n / 2)
    return (
      `Noisy neighbour: key ${top} has ${topCount} of ${sample} (${pct}). ` +
      `The limiter holds that client to its limit and the others are unaffected. ${verify}`
    );
  return (
    `Denials are spread over ${counts.size} keys (${sample}; the largest, ${top}, has ${pct}): ` +
    `demand has risen against the limits broadly. ${verify}`
  );
}

/** The lines of a query_logs result; none when it failed or came back truncated (no longer JSON). */
function logLines(r: ToolResult | undefined): { line: string }[] {
  if (!r || r.is_error) return [];
  try {
    const v = JSON.parse(r.content) as unknown;
    return Array.isArray(v) ? v.filter((l): l is { line: string } => typeof l?.line === "string") : [];
  } catch {
    return [];
  }
}

/**
 * A value outside its usual range (any anomaly detector): read the sampled denials and explain the jump
 * (a noisy neighbour, or a change in demand) without changing anything.
 */
export const anomaly: Runbook = {
  name: "anomaly",
  onViolated: (_t, c, findings) =>
    c.names.includes("query_logs")
      ? null
      : [
          say(`The value is outside its usual range:\n${findings.join("\n")}\nReading the denial samples.`),
          call(c.n, 0, "query_logs", { query: denialLogQuery, since: "5m", limit: 30 }),
        ],
  after: {
    query_logs: (t, c, r) => finish(c.n, denialAttribution(t, logLines(r))),
  },
};
