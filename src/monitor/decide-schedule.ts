import { nextRun, type Schedule } from "../rules/schedules";
import { type Alert, fingerprints } from "../tickets/intake";

export type ScheduleDecision = { due: false } | { due: true; alert: Alert; nextRun: number | null };

/**
 * Pure: is a schedule's run due, and if so what it raises and when it runs next. The next run counts from
 * now, not from the run that was due, so runs missed while the harness was down fire once, not once each.
 * While the previous run's ticket is still open the run is skipped and that ticket hears of it.
 */
export function decideSchedule(s: Schedule, now: number): ScheduleDecision {
  if (!s.enabled || s.next_run_at === null || s.next_run_at > now) return { due: false };
  const alert: Alert = {
    actor: "monitor",
    fingerprint: fingerprints.schedule(s.name),
    whileOpen: {
      event: "schedule_skipped",
      data: { reason: "previous run still open", due: s.next_run_at },
    },
    observation: {
      rule_kind: "schedule",
      rule: s.name,
      query: s.cron,
      value: null,
      labels: {},
      data: { due: s.next_run_at },
      observed_at: now,
    },
    ticket: {
      title: s.title,
      objective: s.objective,
      priority: s.priority,
      source: "schedule",
      source_ref: `schedule:${s.id}`,
      context: { schedule: { name: s.name, cron: s.cron, due: s.next_run_at } },
    },
  };
  return { due: true, alert, nextRun: nextRun(s.cron, now) };
}
