import { describe, expect, test } from "bun:test";
import type { Schedule } from "../rules/schedules";
import { decideSchedule } from "./decide-schedule";

// Pure: a schedule row and the time; no store, no intake.
const h = 3_600_000;
const monday9 = Date.UTC(2026, 0, 5, 9, 0, 0);

const schedule = (over: Partial<Schedule> = {}): Schedule => ({
  id: 2,
  name: "weekly-review",
  cron: "0 9 * * 1",
  title: "Weekly review",
  objective: "Review last week's tickets.",
  priority: "P4",
  enabled: true,
  next_run_at: monday9,
  last_run_at: null,
  ...over,
});

describe("decideSchedule", () => {
  test.each([
    // [case, schedule, now, due]
    ["before its time", {}, monday9 - 1, false],
    ["at its time", {}, monday9, true],
    ["a while after its time", {}, monday9 + h, true],
    ["disabled", { enabled: false }, monday9 + h, false],
    ["no next run (a cron that never fires again)", { next_run_at: null }, monday9 + h, false],
  ] as const)("%s", (_, over, now, due) => {
    expect(decideSchedule(schedule(over), now).due).toBe(due);
  });

  test("a due run raises its ticket, or a skip on the previous run's open ticket, and runs next week", () => {
    const now = monday9 + 30_000;
    const d = decideSchedule(schedule(), now);
    expect(d).toEqual({
      due: true,
      nextRun: monday9 + 7 * 24 * h,
      alert: {
        actor: "monitor",
        fingerprint: "schedule:weekly-review",
        whileOpen: { event: "schedule_skipped", data: { reason: "previous run still open", due: monday9 } },
        observation: {
          rule_kind: "schedule",
          rule: "weekly-review",
          query: "0 9 * * 1",
          value: null,
          labels: {},
          data: { due: monday9 },
          observed_at: now,
        },
        ticket: {
          title: "Weekly review",
          objective: "Review last week's tickets.",
          priority: "P4",
          source: "schedule",
          source_ref: "schedule:2",
          context: { schedule: { name: "weekly-review", cron: "0 9 * * 1", due: monday9 } },
        },
      },
    });
  });

  test("runs missed while the harness was down fire once: the next run counts from now", () => {
    const daily = schedule({ cron: "0 9 * * *", next_run_at: monday9 - 3 * 24 * h });
    const now = monday9 + 2 * h;
    const d = decideSchedule(daily, now);
    if (!d.due) throw new Error("expected the missed run to be due");
    expect(d.alert.observation.data).toEqual({ due: monday9 - 3 * 24 * h });
    expect(d.nextRun).toBe(monday9 + 24 * h);
    expect(decideSchedule({ ...daily, next_run_at: d.nextRun, last_run_at: now }, now + h).due).toBe(false);
  });
});
