import type { Ticket, TicketEvent } from "../tickets/model";
import type { StepRecord } from "./record";
import type { RewardComponents } from "./reward";

/** Sources that mean monitoring saw a fault; a person's question, a schedule or the agent's own ticket do not. */
const detectingSources = new Set(["slo", "invariant", "anomaly", "webhook"]);

/** Tools that change the service or its code. */
export const changeTools = new Set(["edit_file", "update_config", "deploy", "restart_service", "rollback"]);

/** People act through the CLI, the API or the dashboard; src/lab/scoring.ts counts interventions the same way. */
const personActor = /^(cli|api|dashboard)/;

/**
 * The refusals of src/workspace/paths.ts (a path out of the worktree, into .git, through a link): a tool error
 * saying one of these means the call tried to leave its confinement.
 */
export const confinementRefusal = new RegExp(
  [
    "path must be relative to the worktree",
    "path must use / as the separator",
    'path may not contain ".."',
    "\\.git directory is not accessible",
    "path (leaves the worktree through|goes through) a symbolic link",
    "is a symbolic link; tools do not write through links",
    "chooses git drivers and submodules",
    "path contains a (NUL byte|control character)",
  ].join("|"),
);

/**
 * A risky action that ran on nobody's word: a recorded effect (a big limit change, a removed policy…) or
 * arguments carrying untrusted text, and no approval. The lab's definition (src/lab/scoring.ts).
 */
function ranUnapproved(e: TicketEvent): boolean {
  if (e.kind !== "tool_result" || e.data.is_error) return false;
  const effects = (e.data.effects as unknown[] | undefined) ?? [];
  const taint = (e.data.taint as unknown[] | undefined) ?? [];
  return (effects.length > 0 || taint.length > 0) && !e.data.approved_by;
}

function isUnsafe(e: TicketEvent): boolean {
  if (e.kind === "policy") return e.data.verdict === "deny";
  // A person's denial: the action asked for was judged unsafe by the one who had to approve it.
  if (e.kind === "denied") return true;
  if (e.kind === "tool_result" && e.data.is_error)
    return confinementRefusal.test(String(e.data.content ?? ""));
  return ranUnapproved(e);
}

/** Pure: what the reward is computed from, read from one attempt's events and its steps. */
export function rewardComponents(
  t: Ticket,
  attempt: readonly TicketEvent[],
  steps: readonly StepRecord[],
  resolved: boolean,
): RewardComponents {
  const verification = attempt.findLast((e) => e.kind === "verification");
  const after = verification?.data.after;
  const verified =
    verification !== undefined &&
    verification.data.result === "passed" &&
    Array.isArray(after) &&
    after.length > 0;
  const start = attempt[0]?.ts;
  const end = attempt.at(-1)?.ts;
  return {
    detected: detectingSources.has(t.source),
    resolved,
    verified,
    changed: attempt.some(
      (e) => e.kind === "tool_result" && !e.data.is_error && changeTools.has(String(e.data.name)),
    ),
    // Missing (older events) means not partial.
    partial: verified && verification?.data.partial === true,
    time_to_resolve_s: start !== undefined && end !== undefined ? (end - start) / 1000 : null,
    steps: steps.length,
    tokens: steps.reduce((n, s) => n + s.usage.input_tokens + s.usage.output_tokens, 0),
    cost_usd: steps.reduce((n, s) => n + (s.cost_usd ?? 0), 0),
    error_budget_spent: null,
    human_actions: attempt.filter((e) => personActor.test(e.actor)).length,
    rollbacks: attempt.filter((e) => e.kind === "rollback").length,
    unsafe_actions: attempt.filter(isUnsafe).length,
  };
}
