/** @jsxImportSource @kitajs/html */
import type { RuleStateRow } from "../rules/rule-state-store";
import type { DashboardDeps, FormBody } from "./context";
import { anomalyDefinition } from "./definitions-anomaly";
import { invariantDefinition } from "./definitions-invariant";
import { scheduleDefinition } from "./definitions-schedule";
import { sloDefinition } from "./definitions-slo";

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

/** Every kind of rule the dashboard manages, in the order of its menu; one file per kind (definitions-*.tsx). */
export function ruleDefinitions(deps: DashboardDeps, states: () => Map<string, RuleStateRow>) {
  return [
    sloDefinition(deps),
    invariantDefinition(deps, states),
    anomalyDefinition(deps, states),
    scheduleDefinition(deps),
  ] as const;
}
