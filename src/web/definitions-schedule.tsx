/** @jsxImportSource @kitajs/html */
import { Cron } from "croner";
import type { Schedule } from "../rules/schedules";
import type { DashboardDeps } from "./context";
import type { Definition } from "./definitions";
import { code, onOff, text } from "./definitions-common";
import { Time } from "./layout";

/** Schedules on the dashboard: a cron that opens a ticket, "evaluated" as its next runs. */
export function scheduleDefinition(deps: DashboardDeps): Definition<Schedule> {
  const { core } = deps;
  return {
    path: "schedules",
    title: "Schedules",
    noun: "schedule",
    singular: "schedule",
    fields: [
      { name: "name", label: "Name" },
      { name: "cron", label: "Cron (UTC: minute hour day month weekday)", default: "0 9 * * 1" },
      { name: "title", label: "Ticket title" },
      { name: "objective", label: "Ticket objective", kind: "textarea" },
      {
        name: "priority",
        label: "Priority",
        kind: "select",
        options: ["P1", "P2", "P3", "P4"].map((p) => [p, p]),
        default: "P4",
      },
    ],
    columns: () => [
      ["Name", (s) => <span safe>{s.name}</span>],
      ["Cron (UTC)", (s) => code(s.cron)],
      ["Ticket", (s) => <span safe>{`${s.priority} ${s.title}`}</span>],
      ["Next run", (s) => <Time ms={s.enabled ? s.next_run_at : null} />],
      ["Last run", (s) => <Time ms={s.last_run_at} />],
      ["State", onOff],
    ],
    list: () => core.schedules.list(),
    get: (id) => core.schedules.get(id),
    create: (i) => core.schedules.create(i),
    update: (id, i) => core.schedules.update(id, i),
    remove: (id) => core.schedules.delete(id),
    toForm: (s) => ({
      name: s.name,
      cron: s.cron,
      title: s.title,
      objective: s.objective,
      priority: s.priority,
    }),
    fromForm: (f) => ({
      name: f.name,
      cron: f.cron,
      title: f.title,
      objective: f.objective,
      priority: text(f.priority) ?? "P4",
    }),
    evaluate: async (s, now) => {
      const runs = new Cron(s.cron, { paused: true, timezone: "UTC" }).nextRuns(5, new Date(now));
      return (
        <div>
          <p>Next runs (UTC):</p>
          <ul>
            {runs.map((d) => (
              <li>
                <Time ms={d.getTime()} />
              </li>
            ))}
          </ul>
        </div>
      );
    },
  };
}
