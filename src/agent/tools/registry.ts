import { z } from "zod";
import { parseDuration } from "../../lib/duration";
import type { Tool, ToolContext, ToolDef } from "../types";
import addNoteText from "./add_note.txt" with { type: "text" };
import { deployTool, rollbackTool } from "./deploy";
import { editFile, listFiles, readFile, runTests, searchCode } from "./files";
import finishText from "./finish.txt" with { type: "text" };
import getTicketText from "./get_ticket.txt" with { type: "text" };
import giveUpText from "./give_up.txt" with { type: "text" };
import { createTicket, getConfig, listDeploys, listTickets, updateConfig } from "./ops";
import { answer, needsHuman, setSuccessCriteria } from "./outcomes";
import queryLogsText from "./query_logs.txt" with { type: "text" };
import queryMetricsText from "./query_metrics.txt" with { type: "text" };
import requestApprovalText from "./request_approval.txt" with { type: "text" };
import restartServiceText from "./restart_service.txt" with { type: "text" };
import serviceStatusText from "./service_status.txt" with { type: "text" };

const time = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === "number" ? v * 1000 : /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: "custom", message: "must be Unix seconds or an RFC 3339 time" });
    return z.NEVER;
  }
  return ms;
});

function tool<S extends z.ZodType>(t: Tool<S>): Tool<S> {
  return t;
}

const queryMetrics = tool({
  name: "query_metrics",
  description: queryMetricsText.trim(),
  input: z.object({
    query: z.string().min(1).max(4000),
    start: time.optional(),
    end: time.optional(),
    step: z.string().optional(),
  }),
  async run(input, ctx) {
    const now = ctx.core.clock.now();
    if (input.start === undefined)
      return { output: await ctx.metrics.instantQuery(input.query, input.end ?? now) };
    const stepMs = input.step ? parseDuration(input.step) : 60_000;
    return { output: await ctx.metrics.rangeQuery(input.query, input.start, input.end ?? now, stepMs) };
  },
});

const queryLogs = tool({
  name: "query_logs",
  description: queryLogsText.trim(),
  input: z.object({
    query: z.string().min(1).max(4000),
    since: z.string().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  async run(input, ctx) {
    if (!ctx.logs) return { output: "no log store in this process", isError: true };
    const now = ctx.core.clock.now();
    const since = input.since ? parseDuration(input.since) : 3_600_000;
    const lines = await ctx.logs.lines(input.query, now - since, now, input.limit ?? 100);
    return {
      output: lines.map((l) => ({ at: new Date(l.t).toISOString(), labels: l.labels, line: l.line })),
    };
  },
});

const addNote = tool({
  name: "add_note",
  description: addNoteText.trim(),
  input: z.object({ text: z.string().min(1).max(10_000) }),
  async run(input, ctx) {
    ctx.core.tickets.addEvent(ctx.ticket.id, "note", ctx.workerId, { text: input.text });
    return { output: "note added" };
  },
});

const serviceStatus = tool({
  name: "service_status",
  description: serviceStatusText.trim(),
  input: z.object({}),
  async run(_input, ctx) {
    if (!ctx.supervisor) return { output: "no supervised service in this process", isError: true };
    return { output: ctx.supervisor.status() };
  },
});

const restartService = tool({
  name: "restart_service",
  description: restartServiceText.trim(),
  input: z.object({ instance: z.string().optional(), reason: z.string().max(2000).optional() }),
  async run(input, ctx) {
    if (!ctx.supervisor) return { output: "no supervised service in this process", isError: true };
    const restarted = await ctx.supervisor.restart(input.instance);
    if (restarted.length === 0) return { output: `no instance named ${input.instance}`, isError: true };
    ctx.core.tickets.addEvent(ctx.ticket.id, "restart", ctx.workerId, {
      instances: restarted.map((i) => i.name),
      reason: input.reason ?? null,
    });
    return { output: restarted };
  },
});

const getTicket = tool({
  name: "get_ticket",
  description: getTicketText.trim(),
  input: z.object({ id: z.number().int().positive().optional() }),
  async run(input, ctx) {
    const t = ctx.core.tickets.get(input.id ?? ctx.ticket.id);
    return { output: { ...t, events: ctx.core.tickets.events(t.id).slice(-20) } };
  },
});

const requestApproval = tool({
  name: "request_approval",
  description: requestApprovalText.trim(),
  input: z.object({ action: z.string().min(1).max(200), reason: z.string().min(1).max(2000) }),
  async run(input) {
    return {
      output: { requested: input.action, reason: input.reason },
      control: "await_approval",
      approval: { action: input.action, reason: input.reason },
    };
  },
});

const finish = tool({
  name: "finish",
  description: finishText.trim(),
  input: z.object({ summary: z.string().min(1).max(10_000), claims: z.array(z.string()).max(20).optional() }),
  async run(input, ctx) {
    // A fix is claimed only against criteria the monitor can check; without them "verified" would be empty.
    if (ctx.core.tickets.get(ctx.ticket.id).success_criteria.length === 0)
      return {
        output:
          "refused: this ticket has no success criteria, so a fix cannot be verified. Call set_success_criteria " +
          "with a check of the service, or end with answer (findings, no fix claimed) or needs_human (a reason).",
        isError: true,
      };
    return { output: { summary: input.summary, claims: input.claims ?? [] }, control: "finish" };
  },
});

const giveUp = tool({
  name: "give_up",
  description: giveUpText.trim(),
  input: z.object({ reason: z.string().min(1).max(10_000) }),
  async run(input) {
    return { output: { reason: input.reason }, control: "give_up" };
  },
});

export const tools: Tool[] = [
  queryMetrics,
  queryLogs,
  serviceStatus,
  getTicket,
  readFile,
  listFiles,
  searchCode,
  editFile,
  runTests,
  getConfig,
  updateConfig,
  listTickets,
  createTicket,
  listDeploys,
  deployTool,
  rollbackTool,
  addNote,
  restartService,
  requestApproval,
  setSuccessCriteria,
  finish,
  answer,
  needsHuman,
  giveUp,
] as unknown as Tool[];

export function toolDefs(list: Tool[] = tools): ToolDef[] {
  return list.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: z.toJSONSchema(t.input, { io: "input" }) as Record<string, unknown>,
  }));
}

export type { ToolContext };
