/** @jsxImportSource @kitajs/html */
import { instantIn } from "../monitor/observe";
import type { Invariant } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { DashboardDeps } from "./context";
import type { Definition } from "./definitions";
import { code, lastEvaluation, noMetrics, severities, text } from "./definitions-common";

/** Invariants on the dashboard: a query that returns the violating series, evaluated by running it now. */
export function invariantDefinition(
  deps: DashboardDeps,
  states: () => Map<string, RuleStateRow>,
): Definition<Invariant> {
  const { core } = deps;
  return {
    path: "invariants",
    title: "Invariants",
    noun: "invariant",
    singular: "invariant",
    fields: [
      { name: "name", label: "Name" },
      {
        name: "language",
        label: "Language",
        kind: "select",
        options: [
          ["promql", "PromQL (metrics)"],
          ["logql", "LogQL metric query (logs)"],
        ],
        default: "promql",
      },
      { name: "query", label: "Query (returns the violating series)" },
      { name: "for", label: "For", default: "1m" },
      { name: "severity", label: "Severity", kind: "select", options: severities, default: "warning" },
      { name: "description", label: "Description" },
    ],
    columns: () => {
      const st = states();
      return [
        ["Name", (i) => <span safe>{i.name}</span>],
        [
          "Query",
          (i) => (
            <>
              {i.language === "logql" ? <span class="muted">LogQL </span> : ""}
              {code(i.query)}
            </>
          ),
        ],
        ["For", (i) => <span safe>{i.for}</span>],
        ["Severity", (i) => <span safe>{i.severity}</span>],
        [
          "Last evaluation",
          (i) => (
            <span safe>
              {lastEvaluation(st.get(`invariant:${i.name}`), i.enabled, (v) => `failing (${v} series)`)}
            </span>
          ),
        ],
      ];
    },
    list: () => core.rules.listInvariants(),
    get: (id) => core.rules.getInvariant(id),
    create: (i) => core.rules.createInvariant(i),
    update: (id, i) => core.rules.updateInvariant(id, i),
    remove: (id) => core.rules.deleteInvariant(id),
    toForm: (i) => ({
      name: i.name,
      language: i.language,
      query: i.query,
      for: i.for,
      severity: i.severity,
      description: i.description,
    }),
    fromForm: (f) => ({
      name: f.name,
      language: text(f.language) ?? "promql",
      query: f.query,
      for: text(f.for) ?? "0s",
      severity: text(f.severity) ?? "warning",
      description: f.description ?? "",
    }),
    evaluate: async (i, now) => {
      if (!deps.metrics) return noMetrics();
      const r = await instantIn({ metrics: deps.metrics, logs: deps.logs }, i.language, i.query, now);
      const series = r.resultType === "vector" ? r.result : [];
      if (series.length === 0) return <p class="ok">Passing: the query returns no violating series.</p>;
      return (
        <div>
          <p class="error" safe>{`Violating: ${series.length} series`}</p>
          <ul>
            {series.slice(0, 20).map((s) => (
              <li>
                <code safe>{`${JSON.stringify(s.labels)} = ${s.v}`}</code>
              </li>
            ))}
          </ul>
        </div>
      );
    },
  };
}
