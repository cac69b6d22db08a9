import { z } from "zod";
import type { Tool } from "../types";
import deployText from "./deploy.txt" with { type: "text" };
import rollbackText from "./rollback.txt" with { type: "text" };

export const deployTool: Tool = {
  name: "deploy",
  description: deployText.trim(),
  input: z.object({ reason: z.string().max(2000).optional() }),
  async run(_input, ctx) {
    if (!ctx.pipeline)
      return { output: "no deploy pipeline in this process (run harness up)", isError: true };
    const r = await ctx.pipeline.deploy(ctx.ticket.id);
    return { output: r, isError: r.status !== "completed" };
  },
} as Tool;

export const rollbackTool: Tool = {
  name: "rollback",
  description: rollbackText.trim(),
  input: z.object({ reason: z.string().min(1).max(2000) }),
  async run(input: { reason: string }, ctx) {
    if (!ctx.pipeline)
      return { output: "no deploy pipeline in this process (run harness up)", isError: true };
    const r = await ctx.pipeline.rollback(ctx.ticket.id, input.reason);
    return { output: r, isError: !r.ok };
  },
} as Tool;
