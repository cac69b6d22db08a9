import { formatDuration } from "../lib/duration";
import type { Invariant, Slo } from "../rules/model";
import { defaultBurnPolicy, errorBudget, errorRatioQuery, trafficRateQuery } from "./math";

/** The SLO's low-traffic guard as PromQL: `and on() (events per second over the long window) >= min_rate`. */
export function lowTrafficGuard(slo: Slo, longMs: number): string {
  return slo.min_rate > 0 ? ` and on() (${trafficRateQuery(slo.sli, longMs)} >= ${slo.min_rate})` : "";
}

const severity: Record<string, string> = { P1: "page", P2: "ticket", P3: "ticket", P4: "info" };

/**
 * Prometheus recording and alerting rules equivalent to our SLOs and invariants (the shape Sloth generates:
 * per-window error-ratio recordings, then multiwindow burn-rate alerts), so a team already on Prometheus or
 * Grafana Cloud alerting gets the same alerts there.
 */
export function exportPrometheusRules(slos: Slo[], invariants: Invariant[]): string {
  const groups: unknown[] = [];
  for (const slo of slos.filter((s) => s.enabled)) {
    const windows = new Set<number>([slo.window_ms]);
    for (const w of defaultBurnPolicy) {
      windows.add(w.long_ms);
      windows.add(w.short_ms);
    }
    const record = (ms: number) => `slo:sli_error:ratio_rate${formatDuration(ms)}`;
    const labels = { slo: slo.name, service: slo.service };
    groups.push({
      name: `harness-slo-${slo.name}-recordings`,
      rules: [...windows]
        .sort((a, b) => a - b)
        .map((ms) => ({ record: record(ms), expr: errorRatioQuery(slo.sli, ms), labels })),
    });
    const budget = errorBudget(slo.objective);
    groups.push({
      name: `harness-slo-${slo.name}-alerts`,
      rules: defaultBurnPolicy.map((w) => ({
        alert: `${slo.name.replace(/[^A-Za-z0-9_]/g, "_")}_burn_${formatDuration(w.long_ms)}_${formatDuration(w.short_ms)}`,
        expr:
          `(max(${record(w.long_ms)}{slo="${slo.name}"}) > (${w.factor} * ${budget}))` +
          ` and (max(${record(w.short_ms)}{slo="${slo.name}"}) > (${w.factor} * ${budget}))` +
          lowTrafficGuard(slo, w.long_ms),
        labels: { ...labels, severity: severity[w.priority] ?? "ticket", priority: w.priority },
        annotations: {
          summary: `${slo.name}: error budget burning ${w.factor}x over ${formatDuration(w.long_ms)} and ${formatDuration(w.short_ms)}`,
        },
      })),
    });
  }
  // LogQL invariants belong to a Loki ruler, not to Prometheus: they are left out of this file.
  const inv = invariants.filter((i) => i.enabled && i.language !== "logql");
  if (inv.length) {
    groups.push({
      name: "harness-invariants",
      rules: inv.map((i) => ({
        alert: i.name,
        expr: i.query,
        for: i.for,
        labels: { severity: i.severity },
        annotations: { summary: i.description || `invariant ${i.name} violated` },
      })),
    });
  }
  return Bun.YAML.stringify({ groups }, null, 2);
}
