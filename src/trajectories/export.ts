import type { Core } from "../core";
import { AppError } from "../lib/errors";
import type { TicketSource } from "../tickets/model";
import { type BuildContext, buildTrajectory, splitAttempts } from "./build";
import { type FormatName, formatNames, formats } from "./formats";
import { hfJson } from "./hf";
import type { Pseudonymizer } from "./pseudonymize";
import type { Outcome, TrajectoryRecord } from "./record";

export interface TrajectoryFilter {
  since?: number | undefined;
  until?: number | undefined;
  outcome?: Outcome | undefined;
  source?: TicketSource | undefined;
  brain?: string | undefined;
  /**
   * Episodes without a verdict yet (`in_progress`: the ticket is still worked or verified) are left out unless
   * asked for: an export taken mid-verification must not label a fix as a failure with reward 0.
   */
  includeUnfinished?: boolean | undefined;
}

/** Walks tickets in pages so an export of any size runs in constant memory. */
export function* trajectories(
  core: Core,
  ctx: BuildContext,
  filter: TrajectoryFilter = {},
): Generator<TrajectoryRecord> {
  const pageSize = 200;
  let afterId = 0;
  for (;;) {
    const ids = core.tickets.idsCreated(
      afterId,
      filter.since ?? 0,
      filter.until ?? Number.MAX_SAFE_INTEGER,
      pageSize,
    );
    if (ids.length === 0) return;
    for (const id of ids) {
      afterId = id;
      const t = core.tickets.get(id);
      if (filter.source && t.source !== filter.source) continue;
      const attempts = splitAttempts(core.tickets.events(id));
      const observation = t.observation_id ? core.observations.get(t.observation_id) : null;
      for (let i = 0; i < attempts.length; i++) {
        const rec = buildTrajectory(ctx, t, observation, attempts[i] ?? [], i + 1, i === attempts.length - 1);
        if (filter.outcome && rec.outcome !== filter.outcome) continue;
        if (rec.outcome === "in_progress" && !filter.includeUnfinished && filter.outcome !== "in_progress")
          continue;
        if (filter.brain && rec.brain !== filter.brain) continue;
        yield rec;
      }
    }
  }
}

export function checkFormat(name: string): FormatName {
  if ((formatNames as string[]).includes(name)) return name as FormatName;
  throw new AppError("invalid", `unknown format "${name}"; use one of ${formatNames.join(", ")}`);
}

export interface ExportOptions {
  /** Replace rate-limit keys and IP addresses with stable pseudonyms (see pseudonymize.ts). */
  pseudonymizer?: Pseudonymizer | undefined;
}

/**
 * JSONL lines of the chosen format, one episode per line. Every record passes the redactor again on the way
 * out (events are redacted when stored; this also covers secrets added to the redactor since).
 */
export function* exportLines(
  core: Core,
  ctx: BuildContext,
  format: FormatName,
  filter: TrajectoryFilter,
  opts: ExportOptions = {},
): Generator<string> {
  const convert = formats[format] as (r: TrajectoryRecord) => unknown;
  for (const r of trajectories(core, ctx, filter)) {
    let rec = core.redactor.value(r);
    if (opts.pseudonymizer) rec = opts.pseudonymizer.value(rec);
    const row = convert(rec);
    yield `${format === "hf" ? hfJson(row) : JSON.stringify(row)}\n`;
  }
}
