import { z } from "zod";
import type { Core } from "../core";
import { parseDuration } from "../lib/duration";
import { describeZodIssues, invalid } from "../lib/errors";
import { AnomalyInput } from "./anomalies";
import { InvariantInput, SloInput } from "./model";
import { ScheduleInput } from "./schedules";

/**
 * Rules as YAML files kept under version control: the same fields as the API and CLI take. `apply` makes the
 * database match the files (create, update, and with `prune` delete what the files no longer name); `export`
 * writes what the database holds, so a team can start from the rules it already has.
 */
export const RuleFile = z
  .object({
    slos: z.array(SloInput).default([]),
    invariants: z.array(InvariantInput).default([]),
    anomalies: z.array(AnomalyInput).default([]),
    schedules: z.array(ScheduleInput).default([]),
  })
  .strict();
export type RuleFile = z.infer<typeof RuleFile>;

export const ruleKinds = ["slo", "invariant", "anomaly", "schedule"] as const;
export type RuleKind = (typeof ruleKinds)[number];
const section = {
  slo: "slos",
  invariant: "invariants",
  anomaly: "anomalies",
  schedule: "schedules",
} as const;

export interface RuleChange {
  kind: RuleKind;
  name: string;
  action: "create" | "update" | "unchanged" | "delete";
  id?: number;
  /** For updates: the fields that differ. */
  fields?: string[];
}

export function parseRuleFile(text: string, path: string): RuleFile {
  let raw: unknown;
  try {
    raw = Bun.YAML.parse(text) ?? {};
  } catch (err) {
    throw invalid(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = RuleFile.safeParse(raw);
  if (!parsed.success) throw invalid(`${path}: ${describeZodIssues(parsed.error.issues)}`);
  return parsed.data;
}

const durationFields = new Set(["window", "for", "min_history", "cooldown"]);

/** Comparable form: durations as milliseconds, so "60m" and "1h" are the same rule. */
function canonical(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    out[k] = durationFields.has(k) && typeof x === "string" ? parseDuration(x) : x;
  return out;
}

interface Adapter {
  schema: z.ZodType;
  list(): { id: number; name: string }[];
  editable(item: { id: number }): Record<string, unknown>;
  create(input: unknown): unknown;
  update(id: number, input: unknown): unknown;
  remove(id: number): void;
}

function adapters(core: Core): Record<RuleKind, Adapter> {
  const pick = (o: object, keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
  return {
    slo: {
      schema: SloInput,
      list: () => core.rules.listSlos(),
      editable: (s) =>
        pick(s, ["name", "service", "description", "objective", "window", "sli", "min_rate", "enabled"]),
      create: (i) => core.rules.createSlo(i),
      update: (id, i) => core.rules.updateSlo(id, i),
      remove: (id) => core.rules.deleteSlo(id),
    },
    invariant: {
      schema: InvariantInput,
      list: () => core.rules.listInvariants(),
      editable: (i) => pick(i, ["name", "query", "language", "for", "severity", "description", "enabled"]),
      create: (i) => core.rules.createInvariant(i),
      update: (id, i) => core.rules.updateInvariant(id, i),
      remove: (id) => core.rules.deleteInvariant(id),
    },
    anomaly: {
      schema: AnomalyInput,
      list: () => core.anomalies.list(),
      editable: (a) =>
        pick(a, [
          "name",
          "query",
          "method",
          "sensitivity",
          "window",
          "min_history",
          "cooldown",
          "min_change",
          "for",
          "severity",
          "description",
          "enabled",
        ]),
      create: (i) => core.anomalies.create(i),
      update: (id, i) => core.anomalies.update(id, i),
      remove: (id) => core.anomalies.delete(id),
    },
    schedule: {
      schema: ScheduleInput,
      list: () => core.schedules.list(),
      editable: (s) => pick(s, ["name", "cron", "title", "objective", "priority", "enabled"]),
      create: (i) => core.schedules.create(i),
      update: (id, i) => core.schedules.update(id, i),
      remove: (id) => core.schedules.delete(id),
    },
  };
}

/** What applying the files would change; pure reading, nothing written. */
export function planRules(core: Core, files: RuleFile[], opts: { prune?: boolean } = {}): RuleChange[] {
  const ads = adapters(core);
  const changes: RuleChange[] = [];
  for (const kind of ruleKinds) {
    const ad = ads[kind];
    const wanted = files.flatMap((f) => f[section[kind]] as Record<string, unknown>[]);
    const names = new Set<string>();
    for (const w of wanted) {
      const name = String(w.name);
      if (names.has(name)) throw invalid(`${kind} "${name}" is defined twice in the rule files`);
      names.add(name);
    }
    const existing = new Map(ad.list().map((r) => [r.name, r]));
    for (const w of wanted) {
      const name = String(w.name);
      const have = existing.get(name);
      if (!have) {
        changes.push({ kind, name, action: "create" });
        continue;
      }
      const a = canonical(ad.editable(have));
      const b = canonical(ad.schema.parse(w) as Record<string, unknown>);
      const fields = Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      changes.push({
        kind,
        name,
        id: have.id,
        action: fields.length ? "update" : "unchanged",
        ...(fields.length ? { fields } : {}),
      });
    }
    if (opts.prune)
      for (const [name, have] of existing)
        if (!names.has(name)) changes.push({ kind, name, id: have.id, action: "delete" });
  }
  return changes;
}

/** Applies the files in one transaction: either every change lands or none does. */
export function applyRules(core: Core, files: RuleFile[], opts: { prune?: boolean } = {}): RuleChange[] {
  const ads = adapters(core);
  const byKindName = new Map<string, Record<string, unknown>>();
  for (const kind of ruleKinds)
    for (const f of files)
      for (const w of f[section[kind]] as Record<string, unknown>[])
        byKindName.set(`${kind}:${String(w.name)}`, w);
  return core.transaction(() => {
    const changes = planRules(core, files, opts);
    for (const c of changes) {
      const ad = ads[c.kind];
      const input = byKindName.get(`${c.kind}:${c.name}`);
      if (c.action === "create") ad.create(input);
      else if (c.action === "update") ad.update(c.id as number, input);
      else if (c.action === "delete") ad.remove(c.id as number);
    }
    return changes;
  });
}

/** Every rule in the database as one rule file (YAML), in the format `apply` reads. */
export function exportRules(core: Core): string {
  const ads = adapters(core);
  const out: Record<string, unknown[]> = {};
  for (const kind of ruleKinds) out[section[kind]] = ads[kind].list().map((r) => ads[kind].editable(r));
  return `# Harness rules (harness rules export). Apply with: harness rules apply FILE\n${Bun.YAML.stringify(out, null, 2)}\n`;
}
