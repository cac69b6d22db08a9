import type { Core } from "../core";
import type { Pipeline } from "../deploy/pipeline";
import type { Sandbox } from "../sandbox/sandbox";
import type { Supervisor } from "../supervisor/supervisor";
import type { MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";
import { worktreePath } from "../workspace/worktree";
import { costUsd } from "./brains/pricing";
import { budgetFromEvents } from "./budget";
import { buildBrief } from "./context";
import { initialMessage, rebuildConversation, unansweredToolCalls } from "./conversation";
import { hostPathScrubber } from "./host-paths";
import { afterReply, nextAction, settle } from "./step";
import systemPrompt from "./system-prompt.txt" with { type: "text" };
import { toolDefs } from "./tools/registry";
import type { Brain, Message, ToolContext, ToolUseBlock } from "./types";
import type { Gate } from "./worker-gate";
import type { HeldLease } from "./worker-lease";

export interface AttemptDeps {
  core: Core;
  brain: Brain;
  metrics: MetricsBackend;
  supervisor: Supervisor | null;
  workspaceDir?: string | null;
  pipeline?: Pipeline | null;
  logs?: ToolContext["logs"];
  sandbox?: Sandbox;
  testCommand?: readonly string[];
  maxSteps: number;
  budget?: { maxTokens?: number; maxCostUsd?: number; maxWallMs?: number };
}

/**
 * The brain's call failed (not a tool, not the store): the worker then asks whether the brain itself is down.
 * The message is the brain's own, so the ticket's agent_error reads as before.
 */
export class BrainCallFailed extends Error {
  override readonly name = "BrainCallFailed";
  constructor(
    readonly brain: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Large tool outputs are cut so one result cannot crowd out the rest of the context. */
const maxResultChars = 16_000;

function render(output: unknown): string {
  const text = typeof output === "string" ? output : JSON.stringify(output);
  if (text.length <= maxResultChars) return text;
  return `${text.slice(0, maxResultChars)}\n[truncated ${text.length - maxResultChars} characters; narrow the query to see more]`;
}

/**
 * One attempt at a ticket: brain turns and tool calls until the brain finishes, gives up or waits for a
 * person, or the budget runs out. Every act is preceded by `lease.confirm()` and every wait is guarded, so
 * an attempt whose lease is lost throws LeaseLost instead of acting on a ticket another worker now holds.
 */
export async function runAttempt(
  deps: AttemptDeps,
  gate: Gate,
  t: Ticket,
  workerId: string,
  lease: HeldLease,
): Promise<void> {
  const { core, brain } = deps;
  const clock = core.clock;
  const defs = toolDefs();
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
  const leased = { leaseOwner: workerId };
  const limits = { maxSteps: deps.maxSteps, ...deps.budget };
  const scrub = hostPathScrubber(
    deps.workspaceDir ? worktreePath(deps.workspaceDir, t.id) : null,
    deps.workspaceDir ?? null,
  );
  let messages = rebuildConversation(core.tickets.events(t.id));
  if (messages.length === 0) {
    const observation = t.observation_id ? core.observations.get(t.observation_id) : null;
    const brief = await lease.guard(buildBrief(core, deps.metrics, t, deps.workspaceDir ?? null));
    const first = initialMessage(t, observation, { ...brief });
    lease.confirm();
    core.tickets.addEvent(t.id, "agent_context", workerId, { content: first.content, brain: brain.name });
    messages = [first];
  } else {
    lease.confirm();
    core.tickets.addEvent(t.id, "agent_resumed", workerId, {
      steps_recorded: messages.length,
      brain: brain.name,
    });
  }

  // Calls left unanswered by an earlier run (a pause for approval, or a crash) are resumed, not redone blindly.
  const resumedIds = new Set(unansweredToolCalls(messages).map((c) => c.id));
  for (;;) {
    // Rebuilt from the history each turn: earlier attempts' steps, tokens and working time count too.
    const next = nextAction(messages, budgetFromEvents(core.tickets.events(t.id), clock.now()), limits);
    lease.confirm();
    if (next.kind === "stop") {
      const spent = budgetFromEvents(core.tickets.events(t.id), clock.now());
      core.tickets.addEvent(t.id, "budget_exhausted", workerId, {
        steps: spent.steps,
        tokens: spent.tokens,
        cost_usd: spent.costUsd,
        wall_ms: spent.wallMs,
        reason: next.reason,
      });
      core.tickets.transition(t.id, "failed", workerId, {
        ...leased,
        resolution: `budget exhausted: ${next.reason}`,
      });
      return;
    }
    let calls: ToolUseBlock[];
    if (next.kind === "think") {
      const started = clock.now();
      const reply = await lease.guard(
        brain.reply({ system: systemPrompt, tools: defs, messages, ticket: t }).catch((err: unknown) => {
          throw new BrainCallFailed(brain.name, err);
        }),
      );
      lease.confirm();
      core.tickets.addEvent(t.id, "brain_turn", workerId, {
        content: reply.content,
        stop_reason: reply.stop_reason,
        usage: reply.usage,
        cost_usd: costUsd(reply.model, reply.usage),
        model: reply.model,
        brain: brain.name,
        duration_ms: clock.now() - started,
      });
      messages.push({ role: "assistant", content: reply.content });
      const then = afterReply(messages);
      if (then.kind === "nudge") {
        core.tickets.addEvent(t.id, "agent_nudge", workerId, { text: then.text, after: reply.stop_reason });
        messages.push({ role: "user", content: [{ type: "text", text: then.text }] });
        continue;
      }
      calls = then.calls;
    } else calls = next.calls;
    lease.confirm();
    const outcomes = await lease.guard(
      Promise.all(
        calls.map(async (call) => {
          const started = clock.now();
          const g = await gate.gated(t, call, resumedIds.has(call.id), ctx);
          return { call, ...g, ms: clock.now() - started };
        }),
      ),
    );
    // From here to the transition nothing waits: the lease confirmed now still holds when the ticket moves.
    lease.confirm();
    const { answered, end } = settle(outcomes);
    const resultMsg: Message = { role: "user", content: [] };
    for (const { call, outcome, facts, approvedBy, ms } of answered) {
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
    if (end?.kind === "finish") {
      core.tickets.transition(t.id, "verifying", workerId, {
        ...leased,
        reason: "agent finished",
        resolution: end.summary,
      });
      return;
    }
    if (end?.kind === "answer") {
      core.tickets.transition(t.id, "answered", workerId, {
        ...leased,
        reason: "agent answered",
        resolution: `answered: ${end.findings}`,
      });
      return;
    }
    if (end?.kind === "needs_human") {
      core.tickets.transition(t.id, "needs_human", workerId, {
        ...leased,
        reason: end.reason,
        resolution: `needs a person: ${end.reason}`,
      });
      return;
    }
    if (end?.kind === "give_up") {
      core.tickets.transition(t.id, "failed", workerId, { ...leased, resolution: `gave up: ${end.reason}` });
      return;
    }
    if (end?.kind === "await_approval") {
      core.approvals.request(t.id, end.action, end.reason, workerId, workerId);
      return;
    }
  }
}
