/** @jsxImportSource @kitajs/html */
import { scoreAnomaly } from "../monitor/anomalies";
import type { Anomaly } from "../rules/anomalies";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { DashboardDeps } from "./context";
import type { Definition } from "./definitions";
import { code, lastEvaluation, noMetrics, num, severities, text } from "./definitions-common";

/** Anomaly detectors on the dashboard: one series judged against its own history, scored now. */
export function anomalyDefinition(
  deps: DashboardDeps,
  states: () => Map<string, RuleStateRow>,
): Definition<Anomaly> {
  const { core } = deps;
  return {
    path: "anomalies",
    title: "Anomaly detectors",
    noun: "anomaly detector",
    singular: "anomaly",
    fields: [
      { name: "name", label: "Name" },
      { name: "query", label: "Query (PromQL, one series)" },
      {
        name: "method",
        label: "Method",
        kind: "select",
        options: [
          ["mad", "robust (median/MAD)"],
          ["zscore", "z-score"],
          ["seasonal", "seasonal (day and week earlier)"],
        ],
        default: "mad",
      },
      { name: "sensitivity", label: "Sensitivity (deviations)", default: "4" },
      { name: "window", label: "Trailing window", default: "1h" },
      { name: "min_history", label: "Minimum history", default: "30m" },
      { name: "cooldown", label: "Cooldown", default: "30m" },
      { name: "min_change", label: "Minimum change (query's unit)", default: "0" },
      { name: "for", label: "Anomalous for (before a ticket)", default: "0s" },
      { name: "severity", label: "Severity", kind: "select", options: severities, default: "warning" },
      { name: "description", label: "Description" },
    ],
    columns: () => {
      const st = states();
      return [
        ["Name", (a) => <span safe>{a.name}</span>],
        ["Query", (a) => code(a.query)],
        ["Method", (a) => <span safe>{`${a.method} × ${a.sensitivity}`}</span>],
        ["Window", (a) => <span safe>{a.window}</span>],
        [
          "Last evaluation",
          (a) => (
            <span safe>
              {lastEvaluation(st.get(`anomaly:${a.name}`), a.enabled, (v) => `score ${v.toFixed(2)}`)}
            </span>
          ),
        ],
      ];
    },
    list: () => core.anomalies.list(),
    get: (id) => core.anomalies.get(id),
    create: (i) => core.anomalies.create(i),
    update: (id, i) => core.anomalies.update(id, i),
    remove: (id) => core.anomalies.delete(id),
    toForm: (a) => ({
      name: a.name,
      query: a.query,
      method: a.method,
      sensitivity: String(a.sensitivity),
      window: a.window,
      min_history: a.min_history,
      cooldown: a.cooldown,
      min_change: String(a.min_change),
      for: a.for,
      severity: a.severity,
      description: a.description,
    }),
    fromForm: (f) => ({
      name: f.name,
      query: f.query,
      method: text(f.method) ?? "mad",
      sensitivity: num(f.sensitivity) ?? 4,
      window: text(f.window) ?? "1h",
      min_history: text(f.min_history) ?? "30m",
      cooldown: text(f.cooldown) ?? "30m",
      min_change: num(f.min_change) ?? 0,
      for: text(f.for) ?? "0s",
      severity: text(f.severity) ?? "warning",
      description: f.description ?? "",
    }),
    evaluate: async (a, now) => {
      if (!deps.metrics) return noMetrics();
      const scored = await scoreAnomaly(deps.metrics, a, now, 15_000);
      if (!scored) return <p class="muted" safe>{`Not enough history yet (needs ${a.min_history}).`}</p>;
      const { verdict, current } = scored;
      return (
        <p class={verdict.anomalous ? "error" : "ok"} safe>
          {`${verdict.anomalous ? "Anomalous" : "Normal"}: current ${current.toPrecision(6)}, score ${verdict.score === null ? "—" : verdict.score.toFixed(2)} — ${verdict.reason}${verdict.band ? `; usual range ${verdict.band.low.toPrecision(4)} to ${verdict.band.high.toPrecision(4)}` : ""}`}
        </p>
      );
    },
  };
}
