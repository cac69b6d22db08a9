import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { join, relative } from "node:path";
import { AppError } from "../lib/errors";
import { foldName, resolveForRead, resolveForWrite, resolveInside } from "./paths";

/**
 * File operations for tools, built on the one resolver in `paths.ts`: reads never follow a link out of the
 * worktree, writes never follow a link at all (O_NOFOLLOW), and a hard-linked file is not written, since
 * its other name may live anywhere.
 */

const refuse = (message: string) => new AppError("invalid", message);

/** A file larger than this is not read whole: a tool result has no use for it. */
export const maxReadBytes = 4 * 1024 * 1024;

export function readConfined(worktree: string, path: string): { rel: string; text: string } | null {
  const r = resolveForRead(worktree, path);
  if (r.kind === "missing") return null;
  if (r.kind !== "file") throw refuse(`${r.rel || "."} is not a regular file`);
  const fd = openSync(r.full, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (st.size > maxReadBytes)
      throw refuse(`${r.rel} is ${st.size} bytes; files over ${maxReadBytes} are not read`);
    return { rel: r.rel, text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to `path`, creating missing directories one at a time inside the worktree. */
export function writeConfined(worktree: string, path: string, content: string): { rel: string } {
  const r = resolveForWrite(worktree, path);
  if (r.kind === "missing") {
    // Create each missing directory on the way; each is new, so nothing on the way can be a link.
    const rel = relative(r.root, r.full).split("/");
    let cur = r.root;
    for (const seg of rel.slice(0, -1)) {
      cur = join(cur, seg);
      try {
        mkdirSync(cur);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    // Check again: a directory that appeared meanwhile must still be a plain directory inside.
    resolveForWrite(worktree, path);
  }
  let fd: number;
  try {
    fd = openSync(r.full, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw refuse(`${r.rel} is a symbolic link; tools do not write through links`);
    throw refuse(`cannot write ${r.rel}: ${code ?? "error"}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(`${r.rel} is not a regular file`);
    if (st.nlink > 1) throw refuse(`${r.rel} has other hard links; tools do not write such files`);
    ftruncateSync(fd, 0);
    const bytes = Buffer.from(content, "utf8");
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
  return { rel: r.rel };
}

/** Directories the tools never descend into: git's own, and the shared runtime packages. */
function skipped(name: string): boolean {
  const folded = foldName(name);
  return folded === ".git" || folded === "git~1" || name === "node_modules";
}

/**
 * Lists files under `path` (the whole worktree by default), relative to the worktree, sorted. Directories are
 * entered only when they are real directories; links are listed, never followed.
 */
export function listConfined(worktree: string, path: string | undefined, limit: number): string[] | null {
  const r = path ? resolveForRead(worktree, path) : resolveInside(worktree, "");
  if (r.kind === "missing") return null;
  if (r.kind === "file") return [r.rel];
  if (r.kind !== "dir") throw refuse(`${r.rel} is not a directory`);
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= limit) return;
      if (skipped(d.name)) continue;
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(join(dir, d.name), childRel);
      else if (d.isSymbolicLink()) out.push(`${childRel} (symbolic link)`);
      else if (d.isFile()) out.push(childRel);
    }
  };
  walk(r.full, r.rel);
  return out;
}
