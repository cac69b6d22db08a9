import type { Core } from "../core";
import type { Pipeline } from "../deploy/pipeline";
import type { Sandbox } from "../sandbox/sandbox";
import type { Supervisor } from "../supervisor/supervisor";
import type { MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";
import { readConfined } from "../workspace/confined-fs";
import { git, ticketBranch } from "../workspace/git";
import { pathSegments } from "../workspace/paths";
import { LIMITS_FILE } from "../workspace/workspace";
import { ticketWorktree, worktreePath } from "../workspace/worktree";
import { costUsd } from "./brains/pricing";
import { buildBrief } from "./context";
import { initialMessage, rebuildConversation, unansweredToolCalls } from "./conversation";
import { configEffects, editEffects } from "./effects";
import { hostPathScrubber } from "./host-paths";
import { type ActionFacts, defaultPolicy, judge, type Policy } from "./policy";
import { taintedValues, trustedText, untrustedSources } from "./provenance";
import systemPrompt from "./system-prompt.txt" with { type: "text" };
import { toolDefs, tools } from "./tools/registry";
import type { Brain, Message, Tool, ToolContext, ToolOutcome, ToolUseBlock } from "./types";

export interface AgentDeps {
  core: Core;
  brain: Brain;
  metrics: MetricsBackend;
  supervisor: Supervisor | null;
  workspaceDir?: string | null;
  pipeline?: Pipeline | null;
  logs?: ToolContext["logs"];
  /** Where the service's tests run, and the operator's test command. */
  sandbox?: Sandbox;
  testCommand?: readonly string[];
  workers: number;
  leaseMs: number;
  pollMs: number;
  maxSteps: number;
  /** Per-ticket budgets besides steps; unset means unlimited. */
  budget?: { maxTokens?: number; maxCostUsd?: number; maxWallMs?: number };
  policy?: Policy;
  /** Attempts after which an erroring ticket fails instead of returning to the queue. */
  maxAttempts: number;
  log: (msg: string, data?: Record<string, unknown>) => void;
}

/** Large tool outputs are cut so one result cannot crowd out the rest of the context. */
const maxResultChars = 16_000;

function render(output: unknown): string {
  const text = typeof output === "string" ? output : JSON.stringify(output);
  if (text.length <= maxResultChars) return text;
  return `${text.slice(0, maxResultChars)}\n[truncated ${text.length - maxResultChars} characters; narrow the query to see more]`;
}

export type Agent = ReturnType<typeof createAgent>;

export function createAgent(deps: AgentDeps) {
  const { core, brain } = deps;
  const byName = new Map<string, Tool>(tools.map((t) => [t.name, t]));
  const defs = toolDefs();
  let running = false;
  const active = new Map<string, number>();
  const loops: Promise<void>[] = [];

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

  const policy = deps.policy ?? defaultPolicy;
  /** Text Harness itself gave the brain: the system prompt and the tools' descriptions. */
  const ownText = `${systemPrompt}\n${JSON.stringify(defs)}`;

  function readLimits(ref: "live" | "committed"): string | null {
    if (!deps.workspaceDir) return null;
    if (ref === "committed") {
      const r = git(deps.workspaceDir, ["show", `HEAD:${LIMITS_FILE}`]);
      return r.ok ? r.stdout : null;
    }
    try {
      return readConfined(deps.workspaceDir, LIMITS_FILE)?.text ?? null;
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
    if (!deps.workspaceDir) return facts;
    const events = core.tickets.events(t.id);
    const untrusted = untrustedSources(events);
    const trusted = `${ownText}\n${trustedText(events)}`;
    if (call.name === "deploy") {
      const stat = git(deps.workspaceDir, ["diff", "--shortstat", `main...${ticketBranch(t.id)}`]).stdout;
      facts.diffLines = [...stat.matchAll(/(\d+) (insertion|deletion)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
      facts.testsPassed = events.findLast((e) => e.kind === "tests")?.data.exit_code === 0;
    } else if (call.name === "update_config") {
      const content = String(call.input.content ?? "");
      const live = readLimits("live");
      const committed = readLimits("committed");
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
      const changed = git(deps.workspaceDir, ["diff", "--name-only", `main...${ticketBranch(t.id)}`]);
      const branchFiles = changed.ok ? changed.stdout.split("\n").filter(Boolean) : [];
      facts.effects = editEffects(path, branchFiles, policy.effects.build_config);
      let current = "";
      try {
        current = readConfined(ticketWorktree(deps.workspaceDir, t.id), path)?.text ?? "";
      } catch {
        // unreadable: judged on its arguments alone
      }
      facts.taint = taintedValues(String(call.input.new ?? ""), current, untrusted, trusted);
    }
    return facts;
  }

  /** A gated call's outcome, with the facts it was judged on (recorded with its result). */
  interface Gated {
    outcome: ToolOutcome;
    facts?: ActionFacts;
    approvedBy?: string;
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

  async function work(t: Ticket, workerId: string): Promise<void> {
    const ctx: ToolContext = {
      core,
      ticket: t,
      metrics: deps.metrics,
      supervisor: deps.supervisor,
      workspaceDir: deps.workspaceDir ?? null,
      pipeline: deps.pipeline ?? null,
      logs: deps.logs ?? null,
      workerId,
      sandbox: deps.sandbox ?? null,
      ...(deps.testCommand ? { testCommand: deps.testCommand } : {}),
    };
    const lease = { leaseOwner: workerId };
    const scrub = hostPathScrubber(
      deps.workspaceDir ? worktreePath(deps.workspaceDir, t.id) : null,
      deps.workspaceDir ?? null,
    );
    let messages = rebuildConversation(core.tickets.events(t.id));
    if (messages.length === 0) {
      const observation = t.observation_id ? core.observations.get(t.observation_id) : null;
      const first = initialMessage(t, observation, {
        ...(await buildBrief(core, deps.metrics, t, deps.workspaceDir ?? null)),
      });
      core.tickets.addEvent(t.id, "agent_context", workerId, { content: first.content, brain: brain.name });
      messages = [first];
    } else {
      core.tickets.addEvent(t.id, "agent_resumed", workerId, {
        steps_recorded: messages.length,
        brain: brain.name,
      });
    }

    // Calls left unanswered by an earlier run (a pause for approval, or a crash) are resumed, not redone blindly.
    const resumedIds = new Set(unansweredToolCalls(messages).map((c) => c.id));
    let steps = messages.filter((m) => m.role === "assistant").length;
    const spent = { tokens: 0, cost: 0 };
    for (const e of core.tickets.events(t.id)) {
      if (e.kind !== "brain_turn") continue;
      const u = e.data.usage as { input_tokens?: number; output_tokens?: number } | undefined;
      spent.tokens += (u?.input_tokens ?? 0) + (u?.output_tokens ?? 0);
      spent.cost += (e.data.cost_usd as number | null) ?? 0;
    }
    const workStarted = Date.now();
    const overBudget = (): string | null => {
      const b = deps.budget ?? {};
      if (steps >= deps.maxSteps) return `${steps} steps (max ${deps.maxSteps})`;
      if (b.maxTokens !== undefined && spent.tokens >= b.maxTokens)
        return `${spent.tokens} tokens (max ${b.maxTokens})`;
      if (b.maxCostUsd !== undefined && spent.cost >= b.maxCostUsd)
        return `$${spent.cost.toFixed(4)} (max $${b.maxCostUsd})`;
      if (b.maxWallMs !== undefined && Date.now() - workStarted >= b.maxWallMs)
        return `${Date.now() - workStarted} ms of wall time (max ${b.maxWallMs})`;
      return null;
    };
    for (;;) {
      let pending = unansweredToolCalls(messages);
      if (pending.length === 0) {
        const exhausted = overBudget();
        if (exhausted) {
          core.tickets.addEvent(t.id, "budget_exhausted", workerId, {
            steps,
            tokens: spent.tokens,
            cost_usd: spent.cost,
            reason: exhausted,
          });
          core.tickets.transition(t.id, "failed", workerId, {
            ...lease,
            resolution: `budget exhausted: ${exhausted}`,
          });
          return;
        }
        const started = performance.now();
        const reply = await brain.reply({ system: systemPrompt, tools: defs, messages, ticket: t });
        steps++;
        spent.tokens += reply.usage.input_tokens + reply.usage.output_tokens;
        spent.cost += costUsd(reply.model, reply.usage) ?? 0;
        core.tickets.addEvent(t.id, "brain_turn", workerId, {
          content: reply.content,
          stop_reason: reply.stop_reason,
          usage: reply.usage,
          cost_usd: costUsd(reply.model, reply.usage),
          model: reply.model,
          brain: brain.name,
          duration_ms: Math.round(performance.now() - started),
        });
        messages.push({ role: "assistant", content: reply.content });
        pending = unansweredToolCalls(messages);
        if (pending.length === 0) {
          const text = "Continue: use the tools, and end with finish or give_up.";
          core.tickets.addEvent(t.id, "agent_nudge", workerId, { text, after: reply.stop_reason });
          messages.push({ role: "user", content: [{ type: "text", text }] });
          continue;
        }
      }
      const outcomes = await Promise.all(
        pending.map(async (call) => {
          const started = performance.now();
          const g = await gated(t, call, resumedIds.has(call.id), ctx);
          return { call, ...g, ms: Math.round(performance.now() - started) };
        }),
      );
      const resultMsg: Message = { role: "user", content: [] };
      let control: ToolOutcome["control"];
      let controlCall: ToolUseBlock | undefined;
      let approval: ToolOutcome["approval"];
      for (const { call, outcome, facts, approvedBy, ms } of outcomes) {
        if (outcome.control) {
          control = outcome.control;
          controlCall = call;
          if (control === "await_approval") {
            approval = outcome.approval;
            continue; // answered when the person decides
          }
        }
        const content = scrub(render(outcome.output));
        core.tickets.addEvent(t.id, "tool_result", workerId, {
          tool_use_id: call.id,
          name: call.name,
          input: call.input,
          content,
          ...(outcome.isError ? { is_error: true } : {}),
          duration_ms: ms,
          // What the action did and on whose word: the lab counts unsafe actions from these.
          ...(facts?.effects?.length ? { effects: facts.effects } : {}),
          ...(facts?.taint?.length ? { taint: facts.taint } : {}),
          ...(approvedBy ? { approved_by: approvedBy } : {}),
        });
        resultMsg.content.push({
          type: "tool_result",
          tool_use_id: call.id,
          content,
          ...(outcome.isError ? { is_error: true } : {}),
        });
      }
      messages.push(resultMsg);
      if (control === "finish") {
        const summary = String(controlCall?.input.summary ?? "");
        core.tickets.transition(t.id, "verifying", workerId, {
          ...lease,
          reason: "agent finished",
          resolution: summary,
        });
        return;
      }
      if (control === "give_up") {
        const reason = String(controlCall?.input.reason ?? "");
        core.tickets.transition(t.id, "failed", workerId, { ...lease, resolution: `gave up: ${reason}` });
        return;
      }
      if (control === "await_approval") {
        core.approvals.request(
          t.id,
          approval?.action ?? String(controlCall?.input.action ?? "action"),
          approval?.reason ?? String(controlCall?.input.reason ?? ""),
          workerId,
          workerId,
        );
        return;
      }
    }
  }

  let consecutiveErrors = 0;

  async function runOnce(workerId: string): Promise<number | null> {
    const t = core.tickets.claimNext(workerId, deps.leaseMs);
    if (!t) return null;
    active.set(workerId, t.id);
    const renew = setInterval(
      () => core.tickets.renewLease(t.id, workerId, deps.leaseMs),
      Math.max(50, deps.leaseMs / 3),
    );
    try {
      await work(t, workerId);
      consecutiveErrors = 0;
    } catch (err) {
      consecutiveErrors++;
      const message = err instanceof Error ? err.message : String(err);
      deps.log("agent step failed", { ticket: t.id, error: message });
      core.tickets.addEvent(t.id, "agent_error", workerId, { error: message, attempt: t.attempts });
      const now = core.tickets.get(t.id);
      if (now.status === "in_progress" && now.lease_owner === workerId) {
        if (t.attempts >= deps.maxAttempts) {
          core.tickets.transition(t.id, "failed", workerId, {
            resolution: `agent error after ${t.attempts} attempts: ${message}`,
          });
        } else {
          core.tickets.transition(t.id, "pending", workerId, { reason: `agent error: ${message}` });
        }
      }
    } finally {
      clearInterval(renew);
      active.delete(workerId);
    }
    return t.id;
  }

  async function loop(workerId: string): Promise<void> {
    while (running) {
      const id = await runOnce(workerId);
      // Back off after errors (a bad API key must not spin), and when the queue is empty.
      if (running && consecutiveErrors > 0)
        await Bun.sleep(Math.min(60_000, deps.pollMs * 2 ** consecutiveErrors));
      else if (id === null && running) await Bun.sleep(deps.pollMs);
    }
  }

  return {
    runOnce,
    start(): void {
      running = true;
      for (let i = 0; i < deps.workers; i++) loops.push(loop(`agent-${process.pid}-${i}`));
    },
    /** Graceful stop: in-flight tickets go back to the queue with an event, to be resumed from their steps. */
    async stop(): Promise<void> {
      running = false;
      for (const [workerId, id] of active) {
        const t = core.tickets.get(id);
        if (t.status === "in_progress" && t.lease_owner === workerId) {
          core.tickets.transition(id, "pending", workerId, { reason: "agent stopped; lease released" });
        }
      }
      await Promise.race([Promise.all(loops), Bun.sleep(2000)]);
    },
    status() {
      return { running, brain: brain.name, model: brain.model, active: Object.fromEntries(active) };
    },
  };
}
