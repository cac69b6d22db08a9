import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { baseChildEnv } from "../lib/child-env";
import { AppError } from "../lib/errors";

export interface GitResult {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
  /** The command ran past its deadline and was stopped. */
  timedOut?: boolean;
}

const identity = {
  GIT_AUTHOR_NAME: "harness-agent",
  GIT_AUTHOR_EMAIL: "agent@harness.local",
  GIT_COMMITTER_NAME: "harness-agent",
  GIT_COMMITTER_EMAIL: "agent@harness.local",
};

/**
 * Options on every git command, so no file a model or a test can write turns on code execution: no hooks,
 * no fsmonitor, no pager or editor, no external diff or textconv, no credential helper, no signing program.
 * Command-line `-c` beats every config file.
 */
export const hardeningArgs = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.pager=cat",
  "-c",
  "core.editor=false",
  "-c",
  "core.askPass=",
  "-c",
  "core.attributesFile=/dev/null",
  "-c",
  "diff.external=",
  "-c",
  "credential.helper=",
  "-c",
  "commit.gpgSign=false",
  "-c",
  "tag.gpgSign=false",
  "-c",
  "submodule.recurse=false",
  "-c",
  "protocol.ext.allow=never",
];

/**
 * Config keys a repository's own config may hold. Anything else (filter, diff and merge drivers, textconv,
 * core.worktree, includes, aliases, sshCommand, uploadpack hooks…) could run a program or move the work
 * tree, and git reads the repository config on every command — so a repository holding one is refused.
 */
const allowedRepoKeys = [
  /^core\.(repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode|symlinks|autocrlf|eol|safecrlf|sparsecheckout|sparsecheckoutcone|checkstat|trustctime|untrackedcache|splitindex|preloadindex|quotepath|commitgraph|multipackindex|compression|looseCompression|bigfilethreshold)$/i,
  /^extensions\.(worktreeconfig|objectformat|preciousobjects|partialclone|noop)$/i,
  /^remote\.[^\n]+\.(url|pushurl|fetch|tagopt|prune|mirror|promisor|partialclonefilter)$/i,
  /^branch\.[^\n]+\.(remote|merge|rebase|pushremote)$/i,
  /^(user|author|committer)\.(name|email)$/i,
  /^(gc|pack|index|init|advice|color|feature|maintenance|fetch|pull|push|status|log|am|apply|merge\.(conflictstyle|ff|renamelimit))\.[^\n]*$/i,
];

export function repoKeyAllowed(key: string): boolean {
  // `merge.<driver>.driver` is caught: only the listed merge.* keys pass, and they have no second dot.
  if (/^merge\.[^.]+\.[^.]+$/i.test(key)) return false;
  if (/^(fetch|pull|push|status|log)\.[^.]+\.[^.]+$/i.test(key)) return false;
  return allowedRepoKeys.some((re) => re.test(key));
}

/** An empty home, so git reads no user config and no `~/.config/git/attributes` of whoever runs Harness. */
let emptyHome: string | null = null;
function home(): string {
  if (!emptyHome || !existsSync(emptyHome)) emptyHome = mkdtempSync(join(tmpdir(), "harness-git-home-"));
  return emptyHome;
}

export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...baseChildEnv(),
    ...identity,
    HOME: home(),
    XDG_CONFIG_HOME: home(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_NO_REPLACE_OBJECTS: "1",
    // Every pathspec is a plain path: no `:(glob)`, `:!` or other magic from a file name.
    GIT_LITERAL_PATHSPECS: "1",
    GIT_OPTIONAL_LOCKS: "0",
    ...extra,
  };
}

/**
 * Where git keeps a directory's repository: a `.git` directory, or for a worktree the administrative directory
 * named in its `.git` file — accepted only when that directory points back at this worktree, lies outside the
 * work tree, and is the worktree entry of a repository (`…/.git/worktrees/<name>`). Harness passes the result as
 * GIT_DIR, so git never follows a `.git` file on its own.
 */
export function gitDirOf(dir: string): string | null {
  const dotGit = join(dir, ".git");
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dotGit, { throwIfNoEntry: false }) as ReturnType<typeof statSync>;
  } catch {
    return null;
  }
  if (!st) return null;
  if (st.isDirectory()) return dotGit;
  const m = /^gitdir: (.+)\n?$/.exec(readFileSync(dotGit, "utf8"));
  if (!m) return null;
  const admin = resolve(dir, m[1] as string);
  const back = join(admin, "gitdir");
  if (!existsSync(back)) return null;
  const pointsBack = resolve(dirname(admin), readFileSync(back, "utf8").trim());
  const insideTree = !relativeOutside(resolve(dir), admin);
  const shape = /[\\/]\.git[\\/]worktrees[\\/][^\\/]+$/.test(admin);
  if (pointsBack !== resolve(dotGit) || insideTree || !shape) return null;
  return admin;
}

function relativeOutside(root: string, p: string): boolean {
  const rel = p.startsWith(root) ? p.slice(root.length) : null;
  return rel === null || !(rel === "" || rel.startsWith("/"));
}

/** Config files already checked, with the stat they had then; a change is checked again. */
const checked = new Map<string, string>();

function stamp(files: string[]): string {
  return files
    .map((f) => {
      const s = statSync(f, { throwIfNoEntry: false });
      return s ? `${f}:${s.ino}:${s.size}:${s.mtimeMs}` : `${f}:-`;
    })
    .join("|");
}

function run(dir: string, args: string[], env: Record<string, string>, timeoutMs?: number): GitResult {
  try {
    const r = Bun.spawnSync(["git", ...hardeningArgs, ...args], {
      cwd: dir,
      env,
      stdin: "ignore",
      ...(timeoutMs ? { timeout: timeoutMs } : {}),
    });
    return {
      ok: r.exitCode === 0,
      code: r.exitCode ?? -1,
      stdout: r.stdout.toString(),
      stderr: r.stderr.toString(),
      ...(r.exitedDueToTimeout ? { timedOut: true } : {}),
    };
  } catch (err) {
    return { ok: false, code: -1, stdout: "", stderr: `git could not run: ${(err as Error).message}` };
  }
}

/**
 * Refuses a repository whose own config holds a key outside the allowlist; the answer is cached until a
 * config file git read changes.
 */
function checkRepoConfig(dir: string, env: Record<string, string>): string | null {
  const gitDir = env.GIT_DIR as string;
  const common = existsSync(join(gitDir, "commondir"))
    ? resolve(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim())
    : gitDir;
  const files = [join(common, "config"), join(gitDir, "config.worktree")];
  const key = `${dir}\n${gitDir}`;
  const now = stamp(files);
  if (checked.get(key) === now) return null;
  const r = run(dir, ["config", "--list", "--show-scope", "-z"], env);
  if (!r.ok) return `git config could not be read: ${r.stderr.trim()}`;
  // With -z each entry is "scope\0key\nvalue\0".
  const parts = r.stdout.split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const scope = parts[i] as string;
    const name = (parts[i + 1] as string).split("\n", 1)[0] as string;
    if (scope === "command") continue;
    if (!repoKeyAllowed(name))
      return `the repository's git config sets ${name}, which could run a program; Harness refuses to use it (remove it with git config --unset)`;
  }
  checked.set(key, now);
  return null;
}

export interface GitOptions {
  /** Use the config of whoever runs Harness (for cloning an operator's `service.repo` only). */
  userConfig?: boolean;
  /** Stop the command after this long (searches with a caller's pattern). */
  timeoutMs?: number;
}

/**
 * Runs git with an argument array (never a shell string), with hardening options, a scrubbed environment and
 * an explicit GIT_DIR, after checking the repository's config. No model text can inject commands, and no file
 * in a worktree can make git run a program.
 */
export function git(dir: string, args: string[], opts: GitOptions = {}): GitResult {
  const env = gitEnv();
  if (opts.userConfig) {
    for (const k of ["HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL"] as const) delete env[k];
    const userHome = process.env.HOME;
    if (userHome) env.HOME = userHome;
  }
  const gitDir = gitDirOf(dir);
  if (gitDir) {
    env.GIT_DIR = gitDir;
    env.GIT_WORK_TREE = dir;
    const refused = checkRepoConfig(dir, env);
    if (refused) return { ok: false, code: -1, stdout: "", stderr: refused };
  } else if (existsSync(join(dir, ".git"))) {
    return {
      ok: false,
      code: -1,
      stdout: "",
      stderr: "the .git entry of this directory does not name a worktree of a Harness repository",
    };
  } else if (!isAbsolute(dir) || !existsSync(dir)) {
    return { ok: false, code: -1, stdout: "", stderr: "no such directory" };
  } else {
    // Not a repository yet (init, clone): keep git from finding one further up.
    env.GIT_CEILING_DIRECTORIES = dirname(resolve(dir));
  }
  return run(dir, args, env, opts.timeoutMs);
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
  gitOrThrow(dir, ["commit", "-q", "--no-verify", "-m", message]);
  return gitOrThrow(dir, ["rev-parse", "--short=12", "HEAD"]).trim();
}

/** The commit HEAD pointed at a moment (by commit time): a ticket's last known good revision. */
export function revisionAt(dir: string, at: number): string | null {
  const r = git(dir, ["rev-list", "-1", `--before=@${Math.floor(at / 1000)}`, "HEAD"]);
  const rev = r.stdout.trim();
  return r.ok && /^[0-9a-f]{40}$/.test(rev) ? rev : null;
}
