import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodIssues, invalid } from "../lib/errors";
import type { Priority } from "../tickets/model";

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

export const PolicySchema = z.object({ actions: z.record(z.string(), ActionRule).default({}) }).strict();
export type Policy = z.infer<typeof PolicySchema>;

/** The default lets the harness run a week alone: observation, notes, restarts and small tested changes are automatic. */
export const defaultPolicy: Policy = PolicySchema.parse({
  actions: {
    restart_service: { mode: "auto" },
    rollback: { mode: "auto" },
    update_config: { mode: "auto" },
    edit_file: { mode: "auto" },
    run_tests: { mode: "auto" },
    deploy: { mode: "auto", max_diff_lines: 200, require_tests: true },
  },
});

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
  "finish",
  "give_up",
]);

export interface ActionFacts {
  priority: Priority;
  diffLines?: number;
  testsPassed?: boolean;
}

export type Verdict = { verdict: "allow" } | { verdict: "approve" | "deny"; reason: string };

export function judge(policy: Policy, action: string, facts: ActionFacts): Verdict {
  if (alwaysAllowed.has(action)) return { verdict: "allow" };
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
