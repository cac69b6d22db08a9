import { z } from "zod";
import { defaultSandbox } from "../../sandbox/sandbox";
import { listConfined, readConfined, writeConfined } from "../../workspace/confined-fs";
import { commitForTicket, git } from "../../workspace/git";
import { resolveForRead } from "../../workspace/paths";
import { runServiceTests } from "../../workspace/tests";
import { ticketWorktree } from "../../workspace/worktree";
import type { Tool, ToolContext } from "../types";
import editFileText from "./edit_file.txt" with { type: "text" };
import listFilesText from "./list_files.txt" with { type: "text" };
import readFileText from "./read_file.txt" with { type: "text" };
import runTestsText from "./run_tests.txt" with { type: "text" };
import searchCodeText from "./search_code.txt" with { type: "text" };

function tree(ctx: ToolContext): string {
  if (!ctx.workspaceDir) throw new Error("no service workspace in this process");
  return ticketWorktree(ctx.workspaceDir, ctx.ticket.id);
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
    const file = readConfined(tree(ctx), input.path);
    if (!file) return { output: `no such file: ${input.path}`, isError: true };
    const lines = file.text.split("\n");
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
    const files = listConfined(tree(ctx), input.path || undefined, 2000);
    if (!files) return { output: `no such directory: ${input.path}`, isError: true };
    return { output: files.join("\n") };
  },
} as Tool;

/** A search may take this long; a pattern that backtracks past it ends the search, not the agent. */
const searchTimeoutMs = 10_000;

export const searchCode: Tool = {
  name: "search_code",
  description: searchCodeText.trim(),
  input: z.object({ pattern: z.string().min(1).max(500), path: z.string().max(500).optional() }),
  async run(input: { pattern: string; path?: string }, ctx) {
    const root = tree(ctx);
    // The path is checked like every other; git grep then searches the worktree's files, never .git, in a
    // child process with a deadline, with PCRE's own backtracking limit.
    const scope = input.path ? resolveForRead(root, input.path).rel : "";
    const r = git(
      root,
      [
        "grep",
        "-n",
        "-I",
        "-P",
        "--untracked",
        "--max-count=200",
        "-e",
        input.pattern,
        "--",
        ...(scope ? [scope] : ["."]),
      ],
      { timeoutMs: searchTimeoutMs },
    );
    if (r.code === 1) return { output: "no matches" };
    if (!r.ok) {
      const why = r.timedOut ? `the search took over ${searchTimeoutMs / 1000} s` : r.stderr.trim();
      return { output: `search failed: ${why}`, isError: true };
    }
    const hits = r.stdout
      .split("\n")
      .filter(Boolean)
      .slice(0, 200)
      .map((l) => {
        const m = /^([^:]+):(\d+):(.*)$/.exec(l);
        return m ? `${m[1]}:${m[2]}: ${(m[3] as string).slice(0, 300)}` : l.slice(0, 300);
      });
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
    let next = input.new;
    if (input.old !== undefined) {
      const file = readConfined(root, input.path);
      if (!file) return { output: `no such file: ${input.path}`, isError: true };
      const current = file.text;
      const count = current.split(input.old).length - 1;
      if (count !== 1) {
        return {
          output: `old text must occur exactly once in ${input.path}; found ${count} times`,
          isError: true,
        };
      }
      next = current.replace(input.old, () => input.new);
    }
    const { rel } = writeConfined(root, input.path, next);
    const commit = commitForTicket(root, ctx.ticket.id, [rel], input.message ?? `Edit ${input.path}`);
    if (commit)
      ctx.core.tickets.addEvent(ctx.ticket.id, "commit", ctx.workerId, {
        commit,
        path: rel,
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
    const r = await runServiceTests(ctx.sandbox ?? defaultSandbox(), tree(ctx), ctx.testCommand);
    ctx.core.tickets.addEvent(ctx.ticket.id, "tests", ctx.workerId, {
      exit_code: r.exitCode,
      command: r.command,
      sandboxed: r.sandboxed,
    });
    return { output: { exit_code: r.exitCode, passed: r.ok, output: r.output.slice(-8000) }, isError: !r.ok };
  },
} as Tool;
