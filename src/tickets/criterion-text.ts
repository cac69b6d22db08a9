import { parseDuration } from "../lib/duration";
import { invalid } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { SuccessCriterion } from "./model";

/**
 * A success criterion written on one line, as the CLI's `--criterion` and the dashboard's form take it:
 * `QUERY OP VALUE [for DURATION]` or `QUERY empty|nonempty [for DURATION]`, e.g.
 * `histogram_quantile(0.99, sum by (le) (rate(ratelimiter_check_duration_seconds_bucket[5m]))) < 0.01 for 5m`.
 * The comparator is the last one before the trailing value, so the query itself may compare.
 */
export function parseCriterionText(text: string): SuccessCriterion {
  let rest = text.trim();
  let forSeconds = 0;
  const hold = /\s+for\s+(\S+)$/i.exec(rest);
  if (hold) {
    forSeconds = Math.round(parseDuration(hold[1] as string) / 1000);
    rest = rest.slice(0, hold.index).trimEnd();
  }
  const presence = /^(.+?)\s+(empty|nonempty)$/i.exec(rest);
  const compared = /^(.+?)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i.exec(rest);
  let criterion: unknown;
  if (presence)
    criterion = {
      query: (presence[1] as string).trim(),
      comparator: (presence[2] as string).toLowerCase(),
      for_seconds: forSeconds,
    };
  else if (compared)
    criterion = {
      query: (compared[1] as string).trim(),
      comparator: compared[2],
      threshold: Number(compared[3]),
      for_seconds: forSeconds,
    };
  else
    throw invalid(
      `criterion "${text}" is not QUERY OP VALUE [for DURATION] (OP one of < <= > >= == !=) or QUERY empty|nonempty`,
    );
  return parseOrThrow(SuccessCriterion, criterion, "criterion");
}
