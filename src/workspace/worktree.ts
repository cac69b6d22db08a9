import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { git, gitOrThrow, ticketBranch } from "./git";

/** Where a ticket's worktree lives (it may not exist yet). */
export const worktreePath = (workspace: string, ticketId: number) =>
  join(dirname(workspace), "worktrees", `ticket-${ticketId}`);

/**
 * Each ticket edits its own git worktree on branch `ticket/<id>`, so the main workspace keeps running
 * what is deployed and two tickets never trample each other's files.
 */
export function ticketWorktree(workspace: string, ticketId: number): string {
  const dir = worktreePath(workspace, ticketId);
  if (existsSync(join(dir, ".git"))) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const branch = ticketBranch(ticketId);
  const exists = git(workspace, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).ok;
  gitOrThrow(
    workspace,
    exists ? ["worktree", "add", "-q", dir, branch] : ["worktree", "add", "-q", "-b", branch, dir, "main"],
  );
  // Runtime packages are not in git; share the workspace's so tests run offline.
  if (existsSync(join(workspace, "node_modules")) && !existsSync(join(dir, "node_modules"))) {
    symlinkSync(join(workspace, "node_modules"), join(dir, "node_modules"));
  }
  return dir;
}
