import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodIssues, invalid } from "../lib/errors";
import type { Priority } from "../tickets/model";
import { defaultBuildConfigPatterns, type Effect } from "./effects";
import type { Taint } from "./provenance";

/**
 * Which actions run on their own and which wait for a person. The policy, not the model's judgement,
 * is what stands between tool output that says "do X" and X happening.
 */
const ActionRule = z
  .object({
    mode: z.enum(["auto", "approve", "deny"]),
    /** Ticket priorities for which `auto` holds; others need approval. Empty = all. */
    auto_for: z.array(z.enum(["P1", "P2", "P3", "P4"])).default([]),
    max_diff_lines: z.number().int().positive().optional(),
    require_tests: z.boolean().default(false),
  })
  .strict();

const Mode = z.enum(["auto", "approve", "deny"]);
const effectKinds = [
  "limit_change",
  "policy_removed",
  "shadow_mode",
  "fail_mode",
  "store_change",
  "timeout_bounds",
  "client_contract",
  "build_config",
  "tests_with_code",
  "untrusted_text",
] as const;
export type JudgedEffect = (typeof effectKinds)[number];

/**
 * Rules about what an action does, whatever tool does it: each effect needs a person by default; a policy
 * file may make one automatic (`auto`) or forbid it (`deny`).
 */
const EffectRules = z
  .object({
    /** A limit raised or lowered by more than this factor (capacity, refill rate, store.max_keys, timeouts). */
    limit_factor: z.number().min(1).default(2),
    /** store.timeout_ms outside these bounds, in milliseconds. */
    timeout_ms: z
      .object({ min: z.number().int().min(1), max: z.number().int().min(1) })
      .strict()
      .refine((b) => b.min <= b.max, "min must not exceed max")
      .default({ min: 1, max: 1000 }),
    /** Build and test configuration (globs; a pattern without / matches the file name anywhere). */
    build_config: z.array(z.string().min(1)).default(defaultBuildConfigPatterns),
    on: z
      .object(
        Object.fromEntries(effectKinds.map((k) => [k, Mode.default("approve")])) as Record<
          JudgedEffect,
          z.ZodDefault<typeof Mode>
        >,
      )
      .strict()
      .default(Object.fromEntries(effectKinds.map((k) => [k, "approve"])) as Record<JudgedEffect, "approve">),
  })
  .strict();

/** The default actions let the harness run a week alone: restarts and small tested changes are automatic. */
const defaultActions = {
  restart_service: { mode: "auto" },
  rollback: { mode: "auto" },
  update_config: { mode: "auto" },
  edit_file: { mode: "auto" },
  run_tests: { mode: "auto" },
  deploy: { mode: "auto", max_diff_lines: 200, require_tests: true },
} as const;

export const PolicySchema = z
  .object({
    /** Rules by tool name; a file without `actions` keeps the default ones. */
    actions: z.record(z.string(), ActionRule).default(z.record(z.string(), ActionRule).parse(defaultActions)),
    effects: EffectRules.default(EffectRules.parse({})),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

/** What a fresh install runs with: the default actions, and every effect waiting for a person. */
export const defaultPolicy: Policy = PolicySchema.parse({});

/** Tools that only observe or talk to people are never gated. */
const alwaysAllowed = new Set([
  "query_metrics",
  "query_logs",
  "read_file",
  "list_files",
  "search_code",
  "get_ticket",
  "list_tickets",
  "service_status",
  "list_deploys",
  "get_config",
  "add_note",
  "create_ticket",
  "request_approval",
  "set_success_criteria",
  "finish",
  "answer",
  "needs_human",
  "give_up",
]);

export interface ActionFacts {
  priority: Priority;
  diffLines?: number;
  testsPassed?: boolean;
  /** What the action would do (effects.ts). */
  effects?: Effect[];
  /** Values in its arguments seen only in untrusted text (provenance.ts). */
  taint?: Taint[];
}

export type Verdict = { verdict: "allow" } | { verdict: "approve" | "deny"; reason: string };

export function judge(policy: Policy, action: string, facts: ActionFacts): Verdict {
  if (alwaysAllowed.has(action)) return { verdict: "allow" };
  const byName = judgeByName(policy, action, facts);
  if (byName.verdict === "deny") return byName;
  const byEffect = judgeEffects(policy, facts);
  if (byEffect.verdict === "deny") return byEffect;
  if (byName.verdict === "approve" && byEffect.verdict === "approve")
    return { verdict: "approve", reason: `${byName.reason}; ${byEffect.reason}` };
  return byName.verdict === "approve" ? byName : byEffect;
}

/** The effects and provenance of one action against the policy's effect rules. */
export function judgeEffects(policy: Policy, facts: ActionFacts): Verdict {
  const rules = policy.effects.on;
  const findings: { mode: "approve" | "deny"; text: string }[] = [];
  for (const e of facts.effects ?? []) {
    const mode = rules[e.kind];
    if (mode !== "auto") findings.push({ mode, text: e.detail });
  }
  if ((facts.taint ?? []).length > 0 && rules.untrusted_text !== "auto") {
    const list = (facts.taint ?? [])
      .slice(0, 3)
      .map((t) => `"${t.value}" (from ${t.source})`)
      .join(", ");
    findings.push({
      mode: rules.untrusted_text,
      text: `its arguments carry text seen only in untrusted data: ${list}`,
    });
  }
  if (findings.length === 0) return { verdict: "allow" };
  const denied = findings.filter((f) => f.mode === "deny");
  const shown = denied.length ? denied : findings;
  return {
    verdict: denied.length ? "deny" : "approve",
    reason: shown.map((f) => f.text).join("; "),
  };
}

function judgeByName(policy: Policy, action: string, facts: ActionFacts): Verdict {
  const rule = policy.actions[action];
  if (!rule) return { verdict: "approve", reason: `the policy has no rule for ${action}` };
  if (rule.mode === "deny") return { verdict: "deny", reason: `the policy denies ${action}` };
  if (rule.mode === "approve")
    return { verdict: "approve", reason: `the policy requires approval for ${action}` };
  if (rule.auto_for.length && !rule.auto_for.includes(facts.priority)) {
    return {
      verdict: "approve",
      reason: `${action} is automatic only for ${rule.auto_for.join(", ")} tickets`,
    };
  }
  if (rule.max_diff_lines !== undefined && (facts.diffLines ?? 0) > rule.max_diff_lines) {
    return { verdict: "approve", reason: `${facts.diffLines} changed lines exceed ${rule.max_diff_lines}` };
  }
  if (rule.require_tests && facts.testsPassed !== true) {
    return { verdict: "approve", reason: `${action} needs passing tests first` };
  }
  return { verdict: "allow" };
}

export function loadPolicy(path: string | undefined): Policy {
  if (!path) return defaultPolicy;
  if (!existsSync(path)) throw invalid(`policy file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = Bun.YAML.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw invalid(`policy file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = PolicySchema.safeParse(raw ?? {});
  if (!parsed.success) throw invalid(`invalid policy in ${path}: ${describeZodIssues(parsed.error.issues)}`);
  return parsed.data;
}
