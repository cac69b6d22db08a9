import type { z } from "zod";
import type { Core } from "../core";
import type { Pipeline } from "../deploy/pipeline";
import type { Sandbox } from "../sandbox/sandbox";
import type { Supervisor } from "../supervisor/supervisor";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { Ticket } from "../tickets/model";

// Messages use the Anthropic Messages API shapes, so trajectories export to it without translation.
export type TextBlock = { type: "text"; text: string };
export type ToolUseBlock = { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };
export type ToolResultBlock = {
  type: "tool_result";
  tool_use_id: string;
  content: string;
  is_error?: boolean;
};
export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;
export interface Message {
  role: "user" | "assistant";
  content: ContentBlock[];
}

export interface ToolDef {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export type StopReason = "tool_use" | "end_turn" | "max_tokens" | "pause_turn" | "refusal" | "stop_sequence";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface BrainRequest {
  system: string;
  tools: ToolDef[];
  messages: Message[];
  ticket: Ticket;
}

export interface BrainReply {
  content: ContentBlock[];
  stop_reason: StopReason;
  usage: Usage;
  model: string;
}

export interface Brain {
  readonly name: "runbook" | "claude";
  readonly model: string;
  reply(req: BrainRequest): Promise<BrainReply>;
}

export interface ToolContext {
  core: Core;
  ticket: Ticket;
  metrics: MetricsBackend;
  supervisor: Supervisor | null;
  /** The service's git workspace; file tools work in the ticket's own worktree of it. */
  workspaceDir: string | null;
  pipeline?: Pipeline | null;
  /** LogQL over the service's logs, embedded or remote. */
  logs?: LogsBackend | null;
  workerId: string;
  /** Where the service's tests run; the default sandbox when unset. */
  sandbox?: Sandbox | null;
  /** The operator's test command (`service.test_command`). */
  testCommand?: readonly string[];
}

export type ToolOutcome = {
  output: unknown;
  isError?: boolean;
  control?: "finish" | "answer" | "needs_human" | "give_up" | "await_approval";
  /** With `await_approval`: what the person is asked to approve, and why. */
  approval?: { action: string; reason: string };
};

export interface Tool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  run(input: z.infer<S>, ctx: ToolContext): Promise<ToolOutcome>;
}
