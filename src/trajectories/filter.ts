import { z } from "zod";
import { parseOrThrow } from "../lib/parse";
import { TicketSource } from "../tickets/model";
import type { TrajectoryFilter } from "./export";
import { Outcome } from "./record";

const time = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: `"${v}" is not a time (RFC 3339 or Unix seconds)` });
      return z.NEVER;
    }
    return ms;
  });

const FilterInput = z.object({
  since: time,
  until: time,
  outcome: Outcome.optional(),
  source: TicketSource.optional(),
  brain: z.string().max(50).optional(),
  include_unfinished: z.enum(["0", "1", "true", "false"]).optional(),
});

/** The same filters for the CLI flags and the API query string. */
export function parseTrajectoryFilter(input: Record<string, string | undefined>): TrajectoryFilter {
  const { include_unfinished, ...f } = parseOrThrow(FilterInput, input, "trajectory filter");
  return { ...f, includeUnfinished: include_unfinished === "1" || include_unfinished === "true" };
}
