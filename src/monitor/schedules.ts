import type { Core } from "../core";
import { nextRun } from "../rules/schedules";

/** Opens the tickets of every schedule whose time has come; a missed run (harness down) fires once. */
export function runDueSchedules(core: Core, now: number): number[] {
  const opened: number[] = [];
  for (const s of core.schedules.list()) {
    if (!s.enabled || s.next_run_at === null || s.next_run_at > now) continue;
    const fingerprint = `schedule:${s.name}`;
    const open = core.tickets.findOpenByFingerprint(fingerprint);
    if (open)
      core.tickets.addEvent(open.id, "schedule_skipped", "monitor", {
        reason: "previous run still open",
        due: s.next_run_at,
      });
    else {
      const t = core.tickets.create(
        {
          title: s.title,
          objective: s.objective,
          priority: s.priority,
          source: "schedule",
          source_ref: `schedule:${s.id}`,
          fingerprint,
          context: { schedule: { name: s.name, cron: s.cron, due: s.next_run_at } },
        },
        "monitor",
      );
      opened.push(t.id);
    }
    core.schedules.markRun(s.id, now, nextRun(s.cron, now));
  }
  return opened;
}
