import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { z } from "zod";
import { commitForTicket } from "../../workspace/git";
import { confine } from "../../workspace/paths";
import { runDeclaredTests } from "../../workspace/tests";
import { ticketWorktree } from "../../workspace/worktree";
import type { Tool, ToolContext } from "../types";
import editFileText from "./edit_file.txt" with { type: "text" };
import listFilesText from "./list_files.txt" with { type: "text" };
import readFileText from "./read_file.txt" with { type: "text" };
import runTestsText from "./run_tests.txt" with { type: "text" };
import searchCodeText from "./search_code.txt" with { type: "text" };

const skipDirs = new Set([".git", "node_modules"]);

function tree(ctx: ToolContext): string {
  if (!ctx.workspaceDir) throw new Error("no service workspace in this process");
  return ticketWorktree(ctx.workspaceDir, ctx.ticket.id);
}

function walk(root: string, dir: string, out: string[], limit: number): void {
  for (const name of readdirSync(dir).sort()) {
    if (out.length >= limit) return;
    if (skipDirs.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(root, p, out, limit);
    else out.push(relative(root, p));
  }
}

export const readFile: Tool = {
  name: "read_file",
  description: readFileText.trim(),
  input: z.object({
    path: z.string().min(1).max(500),
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(5000).optional(),
  }),
  async run(input: { path: string; offset?: number; limit?: number }, ctx) {
    const full = confine(tree(ctx), input.path);
    if (!existsSync(full) || statSync(full).isDirectory())
      return { output: `no such file: ${input.path}`, isError: true };
    const lines = readFileSync(full, "utf8").split("\n");
    const start = input.offset ?? 0;
    const slice = lines.slice(start, start + (input.limit ?? 2000));
    return { output: slice.map((l, i) => `${start + i + 1}\t${l}`).join("\n") };
  },
} as Tool;

export const listFiles: Tool = {
  name: "list_files",
  description: listFilesText.trim(),
  input: z.object({ path: z.string().max(500).optional() }),
  async run(input: { path?: string }, ctx) {
    const root = tree(ctx);
    const dir = input.path ? confine(root, input.path) : root;
    if (!existsSync(dir)) return { output: `no such directory: ${input.path}`, isError: true };
    const out: string[] = [];
    walk(root, dir, out, 2000);
    return { output: out.join("\n") };
  },
} as Tool;

export const searchCode: Tool = {
  name: "search_code",
  description: searchCodeText.trim(),
  input: z.object({ pattern: z.string().min(1).max(500), path: z.string().max(500).optional() }),
  async run(input: { pattern: string; path?: string }, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(input.pattern);
    } catch (err) {
      return { output: `invalid pattern: ${(err as Error).message}`, isError: true };
    }
    const root = tree(ctx);
    const files: string[] = [];
    walk(root, input.path ? confine(root, input.path) : root, files, 5000);
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), "utf8");
      if (text.includes("\0")) continue;
      text.split("\n").forEach((line, i) => {
        if (hits.length < 200 && re.test(line)) hits.push(`${f}:${i + 1}: ${line.slice(0, 300)}`);
      });
    }
    return { output: hits.length ? hits.join("\n") : "no matches" };
  },
} as Tool;

export const editFile: Tool = {
  name: "edit_file",
  description: editFileText.trim(),
  input: z.object({
    path: z.string().min(1).max(500),
    old: z.string().optional(),
    new: z.string().max(500_000),
    message: z.string().max(200).optional(),
  }),
  async run(input: { path: string; old?: string; new: string; message?: string }, ctx) {
    const root = tree(ctx);
    const full = confine(root, input.path);
    let next = input.new;
    if (input.old !== undefined) {
      if (!existsSync(full)) return { output: `no such file: ${input.path}`, isError: true };
      const current = readFileSync(full, "utf8");
      const count = current.split(input.old).length - 1;
      if (count !== 1) {
        return {
          output: `old text must occur exactly once in ${input.path}; found ${count} times`,
          isError: true,
        };
      }
      next = current.replace(input.old, () => input.new);
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, next);
    const commit = commitForTicket(
      root,
      ctx.ticket.id,
      [relative(root, full)],
      input.message ?? `Edit ${input.path}`,
    );
    if (commit)
      ctx.core.tickets.addEvent(ctx.ticket.id, "commit", ctx.workerId, {
        commit,
        path: input.path,
        branch: `ticket/${ctx.ticket.id}`,
      });
    return { output: commit ? `committed ${commit} on ticket/${ctx.ticket.id}` : "no change" };
  },
} as Tool;

export const runTests: Tool = {
  name: "run_tests",
  description: runTestsText.trim(),
  input: z.object({}),
  async run(_input, ctx) {
    const r = await runDeclaredTests(tree(ctx));
    ctx.core.tickets.addEvent(ctx.ticket.id, "tests", ctx.workerId, {
      exit_code: r.exitCode,
      command: r.command,
    });
    return { output: { exit_code: r.exitCode, passed: r.ok, output: r.output.slice(-8000) }, isError: !r.ok };
  },
} as Tool;
