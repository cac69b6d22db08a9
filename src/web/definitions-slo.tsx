/** @jsxImportSource @kitajs/html */
import type { Slo } from "../rules/model";
import type { DashboardDeps } from "./context";
import type { Definition } from "./definitions";
import { code, noMetrics, num, onOff, text } from "./definitions-common";
import { SloPanels } from "./slo-panel";

/** SLOs on the dashboard: an SLI as bad (or good) over total events, evaluated as burn-rate panels. */
export function sloDefinition(deps: DashboardDeps): Definition<Slo> {
  const { core } = deps;
  return {
    path: "slos",
    title: "SLOs",
    noun: "SLO",
    singular: "slo",
    fields: [
      { name: "name", label: "Name" },
      { name: "objective", label: "Objective (%)", default: "99.9" },
      { name: "window", label: "Window", default: "30d" },
      { name: "bad", label: "Bad events (PromQL counter)", placeholder: 'requests_total{code=~"5.."}' },
      { name: "good", label: "or good events (PromQL counter)" },
      { name: "total", label: "Total events (PromQL counter)", errorKey: "sli" },
      { name: "min_rate", label: "Alert only above (events/s)", default: "0" },
      { name: "description", label: "Description" },
    ],
    columns: () => [
      ["Name", (s) => <span safe>{s.name}</span>],
      ["Objective", (s) => <span safe>{`${s.objective}%`}</span>],
      ["Window", (s) => <span safe>{s.window}</span>],
      ["Low-traffic guard", (s) => <span safe>{s.min_rate > 0 ? `≥ ${s.min_rate}/s` : "none"}</span>],
      [
        "SLI",
        (s) => (
          <>
            {code(s.sli.bad ? `bad: ${s.sli.bad}` : `good: ${s.sli.good}`)}
            <br />
            {code(`total: ${s.sli.total}`)}
          </>
        ),
      ],
      ["State", onOff],
    ],
    list: () => core.rules.listSlos(),
    get: (id) => core.rules.getSlo(id),
    create: (i) => core.rules.createSlo(i),
    update: (id, i) => core.rules.updateSlo(id, i),
    remove: (id) => core.rules.deleteSlo(id),
    toForm: (s) => ({
      name: s.name,
      objective: String(s.objective),
      window: s.window,
      bad: s.sli.bad ?? "",
      good: s.sli.good ?? "",
      total: s.sli.total,
      min_rate: String(s.min_rate),
      description: s.description,
    }),
    fromForm: (f) => ({
      name: f.name,
      objective: num(f.objective),
      window: text(f.window) ?? "30d",
      min_rate: num(f.min_rate) ?? 0,
      description: f.description ?? "",
      sli: {
        total: text(f.total),
        ...(text(f.bad) ? { bad: f.bad } : {}),
        ...(text(f.good) ? { good: f.good } : {}),
      },
    }),
    evaluate: async (s, now) =>
      deps.metrics ? <SloPanels slos={[s]} metrics={deps.metrics} now={now} /> : noMetrics(),
  };
}
