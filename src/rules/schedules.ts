import type { Database } from "bun:sqlite";
import { Cron } from "croner";
import { z } from "zod";
import { ruleName } from "../lib/parse";
import { Priority, priorityFromRank, priorityRank } from "../tickets/model";
import { definitionTable } from "./crud";

const cron = z.string().refine(
  (s) => {
    try {
      new Cron(s, { paused: true });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a cron expression such as '0 9 * * 1' (minute hour day month weekday)" },
);

export const ScheduleInput = z.object({
  name: ruleName,
  cron,
  title: z.string().trim().min(1).max(300),
  objective: z.string().trim().min(1).max(10_000),
  priority: Priority.default("P4"),
  enabled: z.boolean().default(true),
});

export interface Schedule {
  id: number;
  name: string;
  cron: string;
  title: string;
  objective: string;
  priority: Priority;
  enabled: boolean;
  next_run_at: number | null;
  last_run_at: number | null;
}

export function nextRun(pattern: string, afterMs: number): number | null {
  const next = new Cron(pattern, { paused: true, timezone: "UTC" }).nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}

export function createScheduleRepo(db: Database, now: () => number) {
  const t = definitionTable({
    db,
    table: "schedules",
    kind: "schedule",
    schema: ScheduleInput,
    now,
    toColumns: (v) => ({
      name: v.name,
      cron: v.cron,
      title: v.title,
      objective: v.objective,
      priority: priorityRank(v.priority),
      enabled: v.enabled ? 1 : 0,
      next_run_at: nextRun(v.cron, now()),
    }),
    fromRow: (r): Schedule => ({
      id: r.id as number,
      name: r.name as string,
      cron: r.cron as string,
      title: r.title as string,
      objective: r.objective as string,
      priority: priorityFromRank(r.priority as number),
      enabled: r.enabled === 1,
      next_run_at: (r.next_run_at as number | null) ?? null,
      last_run_at: (r.last_run_at as number | null) ?? null,
    }),
  });
  const editable = (s: Schedule) => ({
    name: s.name,
    cron: s.cron,
    title: s.title,
    objective: s.objective,
    priority: s.priority,
    enabled: s.enabled,
  });
  return {
    ...t,
    update: (id: number, input: unknown) => t.update(id, input, editable),
    markRun(id: number, ranAt: number, next: number | null): void {
      db.query("UPDATE schedules SET last_run_at = ?, next_run_at = ? WHERE id = ?").run(ranAt, next, id);
    },
  };
}

/** Periodic maintenance the harness ships with. */
export const defaultSchedules: z.input<typeof ScheduleInput>[] = [
  {
    name: "weekly-latency-review",
    cron: "0 9 * * 1",
    title: "Weekly review: p99 latency and cost against last week",
    objective:
      "Compare this week's p99 latency of checks and the agent's token cost with last week's; note regressions.",
  },
  {
    name: "daily-top-denied-keys",
    cron: "0 8 * * *",
    title: "Daily review: keys denied most",
    objective:
      "List the keys with the most denials in the last day and decide whether a limit needs changing.",
  },
];
