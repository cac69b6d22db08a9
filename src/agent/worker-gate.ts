import type { Core } from "../core";
import type { Ticket } from "../tickets/model";
import { readConfined } from "../workspace/confined-fs";
import { git, ticketBranch } from "../workspace/git";
import { pathSegments } from "../workspace/paths";
import { LIMITS_FILE } from "../workspace/workspace";
import { ticketWorktree } from "../workspace/worktree";
import { configEffects, editEffects } from "./effects";
import { type ActionFacts, judge, type Policy } from "./policy";
import { taintedValues, trustedText, untrustedSources } from "./provenance";
import systemPrompt from "./system-prompt.txt" with { type: "text" };
import { toolDefs, tools } from "./tools/registry";
import type { Tool, ToolContext, ToolOutcome, ToolUseBlock } from "./types";

export interface GateDeps {
  core: Core;
  workspaceDir: string | null;
  policy: Policy;
}

/** A gated call's outcome, with the facts it was judged on (recorded with its result). */
export interface Gated {
  outcome: ToolOutcome;
  facts?: ActionFacts;
  approvedBy?: string;
}

export type Gate = ReturnType<typeof createGate>;

/** Every tool call the brain makes passes here: the policy judges it, then it runs, waits or is refused. */
export function createGate(deps: GateDeps) {
  const { core, policy, workspaceDir } = deps;
  const byName = new Map<string, Tool>(tools.map((t) => [t.name, t]));
  /** Text Harness itself gave the brain: the system prompt and the tools' descriptions. */
  const ownText = `${systemPrompt}\n${JSON.stringify(toolDefs())}`;

  async function runTool(call: ToolUseBlock, ctx: ToolContext): Promise<ToolOutcome> {
    const tool = byName.get(call.name);
    if (!tool) return { output: `unknown tool ${call.name}`, isError: true };
    const parsed = tool.input.safeParse(call.input);
    if (!parsed.success)
      return { output: `invalid input for ${call.name}: ${parsed.error.message}`, isError: true };
    try {
      return await tool.run(parsed.data, ctx);
    } catch (err) {
      return {
        output: `${call.name} failed: ${err instanceof Error ? err.message : String(err)}`,
        isError: true,
      };
    }
  }

  function readLimits(dir: string, ref: "live" | "committed"): string | null {
    if (ref === "committed") {
      const r = git(dir, ["show", `HEAD:${LIMITS_FILE}`]);
      return r.ok ? r.stdout : null;
    }
    try {
      return readConfined(dir, LIMITS_FILE)?.text ?? null;
    } catch {
      return null; // a link or not a file: update_config refuses it too
    }
  }

  /**
   * What the policy needs to know about a call: for a deploy the size of the change and whether its tests
   * passed; for a config change or an edit, what it would do (effects.ts) and whether its arguments carry
   * text seen only in untrusted data (provenance.ts).
   */
  function actionFacts(t: Ticket, call: ToolUseBlock): ActionFacts {
    const facts: ActionFacts = { priority: t.priority };
    if (!workspaceDir) return facts;
    const events = core.tickets.events(t.id);
    const untrusted = untrustedSources(events);
    const trusted = `${ownText}\n${trustedText(events)}`;
    if (call.name === "deploy") {
      const stat = git(workspaceDir, ["diff", "--shortstat", `main...${ticketBranch(t.id)}`]).stdout;
      facts.diffLines = [...stat.matchAll(/(\d+) (insertion|deletion)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      facts.testsPassed = events.findLast((e) => e.kind === "tests")?.data.exit_code === 0;
    } else if (call.name === "update_config") {
      const content = String(call.input.content ?? "");
      const live = readLimits(workspaceDir, "live");
      const committed = readLimits(workspaceDir, "committed");
      // Going back to the committed file restores the last state a ticket applied: nothing new happens.
      facts.effects =
        content === committed
          ? []
          : configEffects(live, content, {
              limitFactor: policy.effects.limit_factor,
              timeoutMs: policy.effects.timeout_ms,
            });
      facts.taint = taintedValues(content, `${live ?? ""}\n${committed ?? ""}`, untrusted, trusted);
    } else if (call.name === "edit_file") {
      let path: string;
      try {
        path = pathSegments(String(call.input.path ?? "")).join("/");
      } catch {
        return facts; // the tool refuses the path itself
      }
      const changed = git(workspaceDir, ["diff", "--name-only", `main...${ticketBranch(t.id)}`]);
      const branchFiles = changed.ok ? changed.stdout.split("\n").filter(Boolean) : [];
      facts.effects = editEffects(path, branchFiles, policy.effects.build_config);
      let current = "";
      try {
        current = readConfined(ticketWorktree(workspaceDir, t.id), path)?.text ?? "";
      } catch {
        // unreadable: judged on its arguments alone
      }
      facts.taint = taintedValues(String(call.input.new ?? ""), current, untrusted, trusted);
    }
    return facts;
  }

  /**
   * Every tool call passes the policy. A call that needs a person pauses the ticket; when it resumes, the
   * person's decision either runs the call or answers it with the denial.
   */
  async function gated(t: Ticket, call: ToolUseBlock, resumed: boolean, ctx: ToolContext): Promise<Gated> {
    const action = call.name === "request_approval" ? String(call.input.action ?? "") : call.name;
    const decided = resumed
      ? core.approvals
          .list(t.id)
          .filter((a) => a.action === action && a.status !== "pending")
          .at(-1)
      : undefined;
    if (decided) {
      const answer = { decision: decided.status, comment: decided.comment ?? null, by: decided.decided_by };
      if (call.name === "request_approval") return { outcome: { output: answer } };
      if (decided.status === "denied")
        return { outcome: { output: { ...answer, note: `a person denied ${action}` }, isError: true } };
      return {
        outcome: await runTool(call, ctx),
        facts: actionFacts(t, call),
        approvedBy: decided.decided_by ?? "a person",
      };
    }
    const facts = actionFacts(t, call);
    const verdict = judge(policy, call.name, facts);
    if (verdict.verdict === "allow") return { outcome: await runTool(call, ctx), facts };
    core.tickets.addEvent(t.id, "policy", ctx.workerId, {
      tool: call.name,
      verdict: verdict.verdict,
      reason: verdict.reason,
      ...(facts.effects?.length ? { effects: facts.effects } : {}),
      ...(facts.taint?.length ? { taint: facts.taint } : {}),
    });
    if (verdict.verdict === "deny")
      return { outcome: { output: `blocked by policy: ${verdict.reason}`, isError: true }, facts };
    return {
      outcome: {
        output: { waiting_for: action },
        control: "await_approval",
        approval: { action, reason: verdict.reason },
      },
      facts,
    };
  }

  return { gated };
}
