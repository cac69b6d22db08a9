/** @jsxImportSource @kitajs/html */
import { Cron } from "croner";
import { scoreAnomaly } from "../monitor/anomalies";
import { instantIn } from "../monitor/observe";
import type { Anomaly } from "../rules/anomalies";
import type { Invariant, Slo } from "../rules/model";
import type { RuleStateRow } from "../rules/rule-state-store";
import type { Schedule } from "../rules/schedules";
import type { DashboardDeps, FormBody } from "./context";
import { Time } from "./layout";
import { SloPanels } from "./slo-panel";

export interface Field {
  name: string;
  label: string;
  kind?: "text" | "select" | "textarea";
  options?: [string, string][];
  default?: string;
  placeholder?: string;
  /** The validation path whose message shows under this field, when it differs from the name. */
  errorKey?: string;
}

/** How the dashboard shows, edits and evaluates one kind of rule. */
export interface Definition<T extends { id: number }> {
  path: string;
  title: string;
  noun: string;
  singular: string;
  fields: Field[];
  columns(): [string, (item: T) => JSX.Element | string][];
  list(): (T & { enabled: boolean })[];
  get(id: number): T & { name: string; enabled: boolean };
  create(input: unknown): unknown;
  update(id: number, input: unknown): unknown;
  remove(id: number): void;
  toForm(item: T): FormBody;
  fromForm(f: FormBody): Record<string, unknown>;
  /** A read-only look at the rule now: what it would see, without opening a ticket. */
  evaluate(item: T, now: number): Promise<JSX.Element>;
}

const severities: [string, string][] = ["critical", "high", "warning", "info"].map((s) => [s, s]);
const text = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);
const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));
const code = (s: string) => <code safe>{s}</code>;
const onOff = (i: { enabled: boolean }) => (i.enabled ? "enabled" : "disabled");

function lastEvaluation(
  st: RuleStateRow | undefined,
  enabled: boolean,
  failing: (v: number) => string,
): string {
  if (!enabled) return "disabled";
  if (!st) return "not evaluated yet";
  if (st.last_error) return `error: ${st.last_error}`;
  const flapping = st.flapping === 1 ? " · flapping" : "";
  return (st.last_value ? failing(st.last_value) : "passing") + flapping;
}

export function ruleDefinitions(deps: DashboardDeps, states: () => Map<string, RuleStateRow>) {
  const { core } = deps;
  const noMetrics = () => <p class="muted">No metrics backend in this process.</p>;

  const slo: Definition<Slo> = {
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
      { name: "description", label: "Description" },
    ],
    columns: () => [
      ["Name", (s) => <span safe>{s.name}</span>],
      ["Objective", (s) => <span safe>{`${s.objective}%`}</span>],
      ["Window", (s) => <span safe>{s.window}</span>],
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
      description: s.description,
    }),
    fromForm: (f) => ({
      name: f.name,
      objective: num(f.objective),
      window: text(f.window) ?? "30d",
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

  const invariant: Definition<Invariant> = {
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

  const anomaly: Definition<Anomaly> = {
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

  const schedule: Definition<Schedule> = {
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

  return [slo, invariant, anomaly, schedule] as const;
}
