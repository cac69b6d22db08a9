import type { Core } from "../core";
import { decideSchedule } from "./decide-schedule";

/** Opens the tickets of every schedule whose time has come; a missed run (harness down) fires once. */
export function runDueSchedules(core: Core, now: number): number[] {
  const opened: number[] = [];
  for (const s of core.schedules.list()) {
    const d = decideSchedule(s, now);
    if (!d.due) continue;
    const raised = core.intake.raise(d.alert);
    if (raised.action === "created") opened.push(raised.ticket.id);
    core.schedules.markRun(s.id, now, d.nextRun);
  }
  return opened;
}
