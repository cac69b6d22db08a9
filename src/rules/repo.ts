import type { Database } from "bun:sqlite";
import type { Clock } from "../lib/clock";
import { formatDuration, parseDuration } from "../lib/duration";
import { definitionTable } from "./crud";
import { type Invariant, InvariantInput, type Severity, type Slo, SloInput } from "./model";
import { ruleStateKey } from "./rule-state-store";

type Row = Record<string, unknown>;

function toInvariant(r: Row): Invariant {
  return {
    id: r.id as number,
    name: r.name as string,
    query: r.query as string,
    language: (r.language as Invariant["language"] | undefined) ?? "promql",
    for: formatDuration(r.for_ms as number),
    for_ms: r.for_ms as number,
    severity: r.severity as Severity,
    description: r.description as string,
    enabled: r.enabled === 1,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
  };
}

/** The SLO's alerting policy lives in the `policy` JSON column (rows from before the guard have `{}`). */
function sloPolicy(raw: unknown): { min_rate: number } {
  const p = typeof raw === "string" ? (JSON.parse(raw) as { min_rate?: unknown }) : {};
  return { min_rate: typeof p.min_rate === "number" ? p.min_rate : 0 };
}

function toSlo(r: Row): Slo {
  return {
    id: r.id as number,
    name: r.name as string,
    service: r.service as string,
    description: r.description as string,
    objective: r.objective as number,
    window: formatDuration(r.window_ms as number),
    window_ms: r.window_ms as number,
    sli: JSON.parse(r.sli as string),
    min_rate: sloPolicy(r.policy).min_rate,
    enabled: r.enabled === 1,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
  };
}

export type RuleRepo = ReturnType<typeof createRuleRepo>;

/** SLOs and invariants over the one generic definitions table (crud.ts), as anomalies and schedules are. */
export function createRuleRepo(db: Database, clock: Clock) {
  const now = () => clock.now();
  const invariants = definitionTable({
    db,
    table: "invariants",
    kind: "invariant",
    schema: InvariantInput,
    now,
    toColumns: (v) => ({
      name: v.name,
      query: v.query,
      language: v.language,
      for_ms: parseDuration(v.for),
      severity: v.severity,
      description: v.description,
      enabled: v.enabled ? 1 : 0,
    }),
    fromRow: toInvariant,
    stateKey: (i) => ruleStateKey("invariant", i.name),
  });
  const slos = definitionTable({
    db,
    table: "slos",
    kind: "SLO",
    schema: SloInput,
    now,
    toColumns: (v) => ({
      name: v.name,
      service: v.service,
      description: v.description,
      objective: v.objective,
      window_ms: parseDuration(v.window),
      sli: JSON.stringify(v.sli),
      policy: JSON.stringify({ min_rate: v.min_rate }),
      enabled: v.enabled ? 1 : 0,
    }),
    fromRow: toSlo,
    stateKey: (s) => ruleStateKey("slo", s.name),
  });
  // An update merges the given fields over the stored definition, then validates the whole again.
  const asIs = <T>(t: T) => t as unknown as Record<string, unknown>;
  return {
    listInvariants: (): Invariant[] => invariants.list(),
    getInvariant: (id: number): Invariant => invariants.get(id),
    createInvariant: (input: unknown): Invariant => invariants.create(input),
    updateInvariant: (id: number, input: unknown): Invariant => invariants.update(id, input, asIs),
    deleteInvariant: (id: number): void => invariants.delete(id),

    listSlos: (): Slo[] => slos.list(),
    getSlo: (id: number): Slo => slos.get(id),
    createSlo: (input: unknown): Slo => slos.create(input),
    updateSlo: (id: number, input: unknown): Slo => slos.update(id, input, asIs),
    deleteSlo: (id: number): void => slos.delete(id),
  };
}
