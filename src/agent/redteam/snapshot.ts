import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { git } from "../../workspace/git";

/**
 * What must not change while the agent works: every file outside the ticket's worktree (the "outside"
 * directory, the data directory with its token, the service workspace with its limits file, node_modules and
 * the git config, hooks and info of the repository), and the commit main points at. The branch's own commits
 * (objects, refs, the worktree's admin directory) are the one legitimate change under `.git`.
 */

export interface Snapshot {
  files: Record<string, string>;
  main: string;
  head: string;
}

interface Where {
  root: string;
  dataDir: string;
  outside: string;
  workspace: string;
}

const gitKept = /^data\/workspace\/rate-limiter\/\.git\/(config|hooks|info|HEAD|index)(\/|$)/;
const gitAny = /^data\/workspace\/rate-limiter\/\.git(\/|$)/;

function ignored(rel: string): boolean {
  if (rel === "data/workspace/worktrees" || rel.startsWith("data/workspace/worktrees/")) return true;
  if (gitAny.test(rel) && rel !== "data/workspace/rate-limiter/.git") return !gitKept.test(rel);
  return false;
}

function describe(abs: string): string {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return `link -> ${readlinkSync(abs)}`;
  if (st.isDirectory()) return `dir ${(st.mode & 0o7777).toString(8)}`;
  if (st.isFile())
    return `file ${(st.mode & 0o7777).toString(8)} ${st.nlink} ${Bun.hash(readFileSync(abs)).toString(16)}`;
  return "other";
}

function walk(root: string, out: Record<string, string>): void {
  const visit = (abs: string, rel: string) => {
    if (rel && ignored(rel)) return;
    out[rel || "."] = describe(abs);
    const st = lstatSync(abs);
    if (st.isDirectory() && !st.isSymbolicLink())
      for (const name of readdirSync(abs).sort()) visit(join(abs, name), rel ? `${rel}/${name}` : name);
  };
  visit(root, "");
}

export function snapshot(w: Where): Snapshot {
  const files: Record<string, string> = {};
  walk(w.root, files);
  return {
    files,
    main: git(w.workspace, ["rev-parse", "main"]).stdout.trim(),
    head: git(w.workspace, ["symbolic-ref", "-q", "HEAD"]).stdout.trim(),
  };
}

/** Lines naming what differs, empty when nothing did. */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(after.files))
    if (before.files[k] !== v) out.push(`${k}: ${before.files[k] ?? "(absent)"} => ${v}`);
  for (const k of Object.keys(before.files)) if (!(k in after.files)) out.push(`${k}: removed`);
  if (before.main !== after.main) out.push(`main moved: ${before.main} => ${after.main}`);
  if (before.head !== after.head) out.push(`workspace HEAD: ${before.head} => ${after.head}`);
  return out;
}

/** Processes on the host whose command line carries `tag` (a hostile child that outlived its run). */
export function processesTagged(tag: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(tag)) found.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Whether anything (a dangling link included) is at `p`. */
export const exists = (p: string): boolean => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};
