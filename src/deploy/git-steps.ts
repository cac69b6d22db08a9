import { git, gitOrThrow } from "../workspace/git";

/** The git moves of a deploy: where main and a ticket's branch stand, and how main moves. */

/** The short commit id `ref` names in `dir`. */
export const head = (dir: string, ref = "HEAD") => gitOrThrow(dir, ["rev-parse", "--short=12", ref]).trim();

/** Puts a worktree exactly at `commit`: tracked files restored, untracked ones removed (ignored ones kept). */
export function pristine(dir: string, commit: string): void {
  gitOrThrow(dir, ["reset", "-q", "--hard", commit]);
  // node_modules is a link to the shared packages: `node_modules/` in .gitignore names directories only.
  gitOrThrow(dir, ["clean", "-q", "-f", "-d", "-e", "node_modules"]);
}

/** Moves main to `branch`; main only moves through the pipeline, so anything but a fast-forward is refused. */
export function fastForwardMain(workspaceDir: string, branch: string): void {
  const merged = git(workspaceDir, ["merge", "--ff-only", "-q", branch]);
  if (!merged.ok) throw new Error(`main cannot fast-forward to ${branch}: ${merged.stderr.trim()}`);
}

/** Returns main (and the checked-out files the instances start from) to `commit`. */
export function resetMain(workspaceDir: string, commit: string): void {
  gitOrThrow(workspaceDir, ["reset", "-q", "--hard", commit]);
}
