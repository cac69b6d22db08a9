import { AppError } from "../lib/errors";

export interface GitResult {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

const identity = {
  GIT_AUTHOR_NAME: "harness-agent",
  GIT_AUTHOR_EMAIL: "agent@harness.local",
  GIT_COMMITTER_NAME: "harness-agent",
  GIT_COMMITTER_EMAIL: "agent@harness.local",
};

/** Runs git with an argument array (never a shell string), so no model text can inject commands. */
export function git(dir: string, args: string[]): GitResult {
  try {
    const r = Bun.spawnSync(["git", ...args], {
      cwd: dir,
      env: { ...process.env, ...identity, GIT_TERMINAL_PROMPT: "0" },
      stdin: "ignore",
    });
    return {
      ok: r.exitCode === 0,
      code: r.exitCode ?? -1,
      stdout: r.stdout.toString(),
      stderr: r.stderr.toString(),
    };
  } catch (err) {
    return { ok: false, code: -1, stdout: "", stderr: `git could not run: ${(err as Error).message}` };
  }
}

export function gitOrThrow(dir: string, args: string[]): string {
  const r = git(dir, args);
  if (!r.ok) throw new AppError("internal", `git ${args[0]} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export const ticketBranch = (ticketId: number) => `ticket/${ticketId}`;

/** Switches the workspace to the ticket's branch, creating it from main the first time. */
export function checkoutTicketBranch(dir: string, ticketId: number): string {
  const branch = ticketBranch(ticketId);
  const exists = git(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).ok;
  gitOrThrow(dir, exists ? ["checkout", "-q", branch] : ["checkout", "-q", "-b", branch, "main"]);
  return branch;
}

/** Commits the given paths with a `Ticket: N` trailer, so `git log` alone is an audit trail. */
export function commitForTicket(
  dir: string,
  ticketId: number,
  paths: string[],
  subject: string,
): string | null {
  gitOrThrow(dir, ["add", "--", ...paths]);
  if (git(dir, ["diff", "--cached", "--quiet"]).ok) return null;
  const message = `${subject.split("\n")[0]?.slice(0, 72) ?? "edit"}\n\nTicket: ${ticketId}\n`;
  gitOrThrow(dir, ["commit", "-q", "-m", message]);
  return gitOrThrow(dir, ["rev-parse", "--short=12", "HEAD"]).trim();
}
