import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defaultSandbox, dependencyMounts } from "../../sandbox/sandbox";
import { Priority, TicketSource, TicketStatus } from "../../tickets/model";
import { readConfined, writeConfined } from "../../workspace/confined-fs";
import { commitForTicket, git } from "../../workspace/git";
import { LIMITS_FILE } from "../../workspace/workspace";
import type { Tool, ToolContext } from "../types";
import createTicketText from "./create_ticket.txt" with { type: "text" };
import getConfigText from "./get_config.txt" with { type: "text" };
import listDeploysText from "./list_deploys.txt" with { type: "text" };
import listTicketsText from "./list_tickets.txt" with { type: "text" };
import updateConfigText from "./update_config.txt" with { type: "text" };

const workspaceOf = (ctx: ToolContext) => {
  if (!ctx.workspaceDir) throw new Error("no service workspace in this process");
  return ctx.workspaceDir;
};

/**
 * The service's own validator, run through the harness binary in the sandbox (no shell, no model text as
 * argv): the candidate file sits in a directory of its own, the workspace is visible read-only.
 */
async function validate(
  ctx: ToolContext,
  workspace: string,
  content: string,
): Promise<{ ok: boolean; message: string }> {
  const dir = mkdtempSync(join(tmpdir(), "harness-limits-"));
  try {
    const file = join(dir, LIMITS_FILE);
    writeFileSync(file, content);
    const r = await (ctx.sandbox ?? defaultSandbox()).run({
      argv: ["bun", join(workspace, "src", "main.ts"), "validate", file],
      cwd: dir,
      readOnly: [workspace, ...dependencyMounts(workspace)],
      limits: { wallMs: 30_000 },
    });
    return { ok: r.ok, message: r.output.trim() };
  } finally {
    // One candidate config per call: a long-running agent must not fill the temp directory.
    rmSync(dir, { recursive: true, force: true });
  }
}

export const getConfig: Tool = {
  name: "get_config",
  description: getConfigText.trim(),
  input: z.object({}),
  async run(_input, ctx) {
    // Through the confined reader: a limits.yaml that is a link (a cloned repository can carry one) is refused.
    const file = readConfined(workspaceOf(ctx), LIMITS_FILE);
    if (!file) return { output: `no ${LIMITS_FILE} in the workspace`, isError: true };
    const content = file.text;
    // The committed version is the last one a ticket applied; a difference is an out-of-band edit.
    const committed = git(ctx.workspaceDir as string, ["show", `HEAD:${LIMITS_FILE}`]);
    return {
      output: {
        file: LIMITS_FILE,
        hash: createHash("sha256").update(content).digest("hex").slice(0, 12),
        content,
        committed: committed.ok ? committed.stdout : null,
        uncommitted_change: committed.ok && committed.stdout !== content,
        last_known_good: lastKnownGood(ctx, committed.ok ? committed.stdout : null),
      },
    };
  },
} as Tool;

/**
 * The limits at the ticket's last known good revision (the workspace's commit before the fault, which the
 * monitor recorded in the ticket's baseline), when they differ from the committed ones: what to go back to
 * rather than stacking a new edit on a bad one.
 */
function lastKnownGood(
  ctx: ToolContext,
  committed: string | null,
): { commit: string; content: string } | null {
  const commit = (ctx.ticket.context.baseline as { commit?: unknown } | undefined)?.commit;
  if (typeof commit !== "string" || !/^[0-9a-f]{40}$/.test(commit)) return null;
  const then = git(ctx.workspaceDir as string, ["show", `${commit}:${LIMITS_FILE}`]);
  return then.ok && then.stdout !== committed ? { commit, content: then.stdout } : null;
}

export const updateConfig: Tool = {
  name: "update_config",
  description: updateConfigText.trim(),
  input: z.object({ content: z.string().min(1).max(200_000), reason: z.string().max(2000).optional() }),
  async run(input: { content: string; reason?: string }, ctx) {
    const workspace = workspaceOf(ctx);
    const check = await validate(ctx, workspace, input.content);
    if (!check.ok) return { output: `rejected by the service's validator: ${check.message}`, isError: true };
    const previous = readConfined(workspace, LIMITS_FILE)?.text ?? "";
    writeConfined(workspace, LIMITS_FILE, input.content);
    const commit = commitForTicket(
      workspace,
      ctx.ticket.id,
      [LIMITS_FILE],
      `Update limits: ${input.reason ?? "config change"}`,
    );
    const hash = /^ok\s+(\S+)/m.exec(check.message)?.[1] ?? check.message;
    ctx.core.tickets.addEvent(ctx.ticket.id, "config_change", ctx.workerId, {
      file: LIMITS_FILE,
      commit,
      hash,
      reason: input.reason ?? null,
      previous_hash: createHash("sha256").update(previous).digest("hex").slice(0, 12),
    });
    return { output: { applied: true, commit, hash, note: "the service reloads the file within a second" } };
  },
} as Tool;

export const listTickets: Tool = {
  name: "list_tickets",
  description: listTicketsText.trim(),
  input: z.object({
    status: TicketStatus.optional(),
    source: TicketSource.optional(),
    limit: z.number().int().min(1).max(100).optional(),
  }),
  async run(input: { status?: TicketStatus; source?: TicketSource; limit?: number }, ctx) {
    const page = ctx.core.tickets.list({
      ...(input.status ? { status: [input.status] } : {}),
      ...(input.source ? { source: input.source } : {}),
      limit: input.limit ?? 20,
    });
    return {
      output: page.items.map((t) => ({
        id: t.id,
        title: t.title,
        status: t.status,
        priority: t.priority,
        source: t.source,
        resolution: t.resolution,
      })),
    };
  },
} as Tool;

export const createTicket: Tool = {
  name: "create_ticket",
  description: createTicketText.trim(),
  input: z.object({
    title: z.string().min(1).max(300),
    objective: z.string().min(1).max(10_000),
    priority: Priority.optional(),
  }),
  async run(input: { title: string; objective: string; priority?: Priority }, ctx) {
    // A sub-task of the ticket at hand; its text is the model's, so it is an observation by the agent.
    const t = ctx.core.intake.open({
      actor: ctx.workerId,
      observation: {
        rule_kind: "agent",
        rule: "create_ticket",
        query: "",
        value: null,
        labels: {},
        data: { from_ticket: ctx.ticket.id },
      },
      ticket: {
        title: input.title,
        objective: input.objective,
        priority: input.priority ?? "P3",
        source: "agent",
      },
      parentId: ctx.ticket.id,
    });
    return { output: { created: t.id } };
  },
} as Tool;

export const listDeploys: Tool = {
  name: "list_deploys",
  description: listDeploysText.trim(),
  input: z.object({ limit: z.number().int().min(1).max(100).optional() }),
  async run(input: { limit?: number }, ctx) {
    return {
      output: ctx.core.changes.recent(input.limit ?? 20).map((r) => ({
        ticket: r.ticket_id,
        at: new Date(r.ts).toISOString(),
        kind: r.kind,
        ...r.data,
      })),
    };
  },
} as Tool;
