import type { Core } from "../core";
import type { Invariant, Slo } from "../rules/model";
import { type RuleStateRow, ruleStateKey } from "../rules/rule-state-store";
import { evaluateSlo } from "../slo/evaluate";
import { exportPrometheusRules, lowTrafficGuard } from "../slo/export-rules";
import { defaultBurnPolicy, errorBudget, errorRatioQuery } from "../slo/math";
import { formatValue } from "./prom-format";
import type { Labels, MetricsBackend } from "./types";

// Harness's SLO burn-rate and PromQL invariant rules as Prometheus's /api/v1/rules and /api/v1/alerts show
// rules, with the state the monitor stored at its last evaluation (rule_state), so Grafana's alert views work.

export type RuleHealth = "ok" | "err" | "unknown";
export type AlertState = "firing" | "pending";

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  /** Omitted (as Prometheus's `omitempty` allows) where the monitor does not keep it: SLO burn alerts. */
  activeAt?: string;
  /** Omitted where the monitor does not keep the series' value: invariants store only how many violate. */
  value?: string;
}

export interface PromAlertingRule {
  type: "alerting";
  name: string;
  query: string;
  /** The rule's `for`, in seconds. */
  duration: number;
  labels: Labels;
  annotations: Labels;
  alerts: PromAlert[];
  state: AlertState | "inactive";
  health: RuleHealth;
  lastError: string;
  /** Not measured by the monitor: 0. */
  evaluationTime: number;
  lastEvaluation: string;
}

export interface PromRuleGroup {
  name: string;
  file: string;
  rules: PromAlertingRule[];
  interval: number;
  limit: number;
  evaluationTime: number;
  lastEvaluation: string;
}

/** Rule groups with their state, read when asked; the API answers `{groups: []}` without one. */
export type RuleGroupSource = () => Promise<PromRuleGroup[]>;

export interface PromRulesDeps {
  core: Core;
  /** The backend the monitor evaluates SLOs with (embedded or remote): see `sloWindowStates`. */
  metrics: () => MetricsBackend;
  /** The monitor's evaluation interval, reported as each group's `interval`. */
  intervalMs: number;
}

interface ExportedRule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Labels;
  annotations?: Labels;
}

const GO_ZERO_TIME = "0001-01-01T00:00:00Z";
const iso = (ms: number | null) => (ms === null ? GO_ZERO_TIME : new Date(ms).toISOString());

function health(state: RuleStateRow): Pick<PromAlertingRule, "health" | "lastError" | "lastEvaluation"> {
  return {
    health: state.last_eval_at === null ? "unknown" : state.last_error ? "err" : "ok",
    lastError: state.last_error ?? "",
    lastEvaluation: iso(state.last_eval_at),
  };
}

function ruleState(alerts: PromAlert[]): PromAlertingRule["state"] {
  if (alerts.some((a) => a.state === "firing")) return "firing";
  return alerts.length > 0 ? "pending" : "inactive";
}

/**
 * The rule groups `harness slo export-rules` renders (alert names, labels, annotations), read back from its YAML so
 * the two never drift. Its recording groups are left out: Harness computes the error ratios inline and records no
 * `slo:sli_error:*` series, so each burn alert's query here is the condition the monitor evaluates over the raw SLI.
 */
function exportedAlerts(slos: Slo[], invariants: Invariant[]): Map<string, ExportedRule[]> {
  const parsed = Bun.YAML.parse(exportPrometheusRules(slos, invariants)) as {
    groups: { name: string; rules: ExportedRule[] }[];
  };
  return new Map(parsed.groups.map((g) => [g.name, g.rules.filter((r) => r.alert !== undefined)]));
}

/** `(long ratio) > f×budget and (short ratio) > f×budget`: what `checkBurn` decides, written as PromQL. */
function burnCondition(slo: Slo, w: (typeof defaultBurnPolicy)[number]): string {
  const threshold = `(${w.factor} * ${errorBudget(slo.objective)})`;
  return (
    `(${errorRatioQuery(slo.sli, w.long_ms)}) > ${threshold}` +
    ` and (${errorRatioQuery(slo.sli, w.short_ms)}) > ${threshold}` +
    lowTrafficGuard(slo, w.long_ms)
  );
}

/**
 * Which burn windows fire. The monitor stores how many of an SLO's windows fired at its last evaluation, not
 * which: none needs no query; otherwise the SLO is evaluated again at that same time to tell them apart.
 */
async function sloWindowStates(deps: PromRulesDeps, slo: Slo, state: RuleStateRow) {
  if (state.last_eval_at === null || state.last_error || !state.last_value)
    return { windows: defaultBurnPolicy.map(() => null), error: null };
  const ev = await evaluateSlo(deps.metrics(), slo, state.last_eval_at);
  if (ev.errors.length > 0)
    return { windows: defaultBurnPolicy.map(() => null), error: ev.errors.join("; ") };
  return { windows: ev.windows.map((c) => (c.firing ? c.long : null)), error: null };
}

async function sloRules(
  deps: PromRulesDeps,
  slo: Slo,
  state: RuleStateRow,
  exported: ExportedRule[],
): Promise<PromAlertingRule[]> {
  const { windows, error } = await sloWindowStates(deps, slo, state);
  const budget = errorBudget(slo.objective);
  return defaultBurnPolicy.map((w, i) => {
    const rule = exported[i] as ExportedRule;
    const labels = rule.labels ?? {};
    const annotations = rule.annotations ?? {};
    const burn = windows[i];
    const alerts: PromAlert[] =
      burn === null || burn === undefined
        ? []
        : [
            {
              labels: { alertname: rule.alert as string, ...labels },
              annotations,
              state: "firing",
              value: formatValue(burn * budget),
            },
          ];
    return {
      type: "alerting",
      name: rule.alert as string,
      query: burnCondition(slo, w),
      duration: 0,
      labels,
      annotations,
      alerts,
      state: ruleState(alerts),
      ...health(state),
      ...(error ? { health: "err" as const, lastError: `re-evaluating the burn windows: ${error}` } : {}),
      evaluationTime: 0,
    };
  });
}

/** Per-series alerts from the monitor's per-series `for` timers (label fingerprint → pending since). */
function invariantAlerts(inv: Invariant, rule: ExportedRule, state: RuleStateRow): PromAlert[] {
  if (state.last_eval_at === null || !state.series_state) return [];
  let pending: Record<string, number>;
  try {
    pending = JSON.parse(state.series_state) as Record<string, number>;
  } catch {
    return [];
  }
  const evaluatedAt = state.last_eval_at;
  return Object.entries(pending).map(([fp, since]) => {
    const { __name__: _, ...series } = JSON.parse(fp) as Labels;
    return {
      labels: { ...series, ...(rule.labels ?? {}), alertname: inv.name },
      annotations: rule.annotations ?? {},
      state: evaluatedAt - since >= inv.for_ms ? "firing" : "pending",
      activeAt: iso(since),
    };
  });
}

function invariantRule(inv: Invariant, rule: ExportedRule, state: RuleStateRow): PromAlertingRule {
  const alerts = invariantAlerts(inv, rule, state);
  return {
    type: "alerting",
    name: inv.name,
    query: rule.expr,
    duration: inv.for_ms / 1000,
    labels: rule.labels ?? {},
    annotations: rule.annotations ?? {},
    alerts,
    state: ruleState(alerts),
    ...health(state),
    evaluationTime: 0,
  };
}

function group(name: string, rules: PromAlertingRule[], intervalMs: number): PromRuleGroup {
  const last =
    rules
      .map((r) => r.lastEvaluation)
      .sort()
      .at(-1) ?? GO_ZERO_TIME;
  return {
    name,
    file: "harness",
    rules,
    interval: intervalMs / 1000,
    limit: 0,
    evaluationTime: 0,
    lastEvaluation: last,
  };
}

/**
 * Enabled SLOs (one group of burn-rate alerts each) and enabled PromQL invariants (one group), as Prometheus
 * lists rules. LogQL invariants belong to a Loki ruler and anomaly detectors have no PromQL form: both are left
 * out, as `harness slo export-rules` leaves them out.
 */
export function promRuleGroups(deps: PromRulesDeps): RuleGroupSource {
  return async () => {
    const states = deps.core.ruleStates;
    const slos = deps.core.rules.listSlos().filter((s) => s.enabled);
    const invariants = deps.core.rules.listInvariants().filter((i) => i.enabled && i.language !== "logql");
    const exported = exportedAlerts(slos, invariants);
    const groups: PromRuleGroup[] = [];
    for (const slo of slos) {
      const name = `harness-slo-${slo.name}-alerts`;
      const rules = await sloRules(
        deps,
        slo,
        states.get(ruleStateKey("slo", slo.name)),
        exported.get(name) ?? [],
      );
      groups.push(group(name, rules, deps.intervalMs));
    }
    const invRules = exported.get("harness-invariants") ?? [];
    if (invariants.length > 0) {
      const rules = invariants.map((inv) => {
        const rule = invRules.find((r) => r.alert === inv.name) ?? { alert: inv.name, expr: inv.query };
        return invariantRule(inv, rule, states.get(ruleStateKey("invariant", inv.name)));
      });
      groups.push(group("harness-invariants", rules, deps.intervalMs));
    }
    return groups;
  };
}

/** Every firing or pending alert of the groups, as `/api/v1/alerts` lists them. */
export function activeAlerts(groups: PromRuleGroup[]): PromAlert[] {
  return groups.flatMap((g) => g.rules.flatMap((r) => r.alerts));
}
