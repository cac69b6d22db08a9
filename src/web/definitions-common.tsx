/** @jsxImportSource @kitajs/html */
import type { RuleStateRow } from "../rules/rule-state-store";

/** Form parsing and cell rendering shared by every kind of rule's definition. */
export const severities: [string, string][] = ["critical", "high", "warning", "info"].map((s) => [s, s]);
/** An empty form field is absent, so the rule's own default applies. */
export const text = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);
export const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));
export const code = (s: string) => <code safe>{s}</code>;
export const onOff = (i: { enabled: boolean }) => (i.enabled ? "enabled" : "disabled");
export const noMetrics = () => <p class="muted">No metrics backend in this process.</p>;

/** The "Last evaluation" cell: the monitor's own state of the rule, in words. */
export function lastEvaluation(
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
