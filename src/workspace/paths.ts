import { lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { AppError } from "../lib/errors";

/**
 * The one path resolver every file tool goes through. A model-supplied path is untrusted text: it is
 * normalised and checked as words first (no absolute paths, no `..`, no NUL, never a `.git` segment in any
 * spelling), then resolved on disk one segment at a time with `lstat`, so a symbolic link anywhere on the
 * way — dangling, in the middle, or at the end — cannot lead out of the worktree.
 */

const refuse = (message: string) => new AppError("invalid", message);

/** Code points that file systems or people read as nothing (zero-width, joiners, BOM, soft hyphen). */
const ignorable = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * How a file system or a person may read a name: Unicode compatibility-folded (fullwidth `．ｇｉｔ` is `.git`),
 * ignorable code points dropped (HFS+ ignores them), lower-cased (case-insensitive file systems), trailing
 * dots and spaces dropped (NTFS ignores them).
 */
export function foldName(segment: string): string {
  return segment
    .normalize("NFKC")
    .replace(ignorable, "")
    .toLowerCase()
    .replace(/[. ]+$/, "");
}

/** Names that must never be touched by a tool: git's own directory, in every spelling, and its 8.3 alias. */
function isGitDir(segment: string): boolean {
  const folded = foldName(segment);
  return folded === ".git" || folded === "git~1";
}

/** Git control files in the tree: they choose drivers and submodules, so a tool may read but not write them. */
const gitControlFiles = new Set([".gitattributes", ".gitmodules"]);

export interface Resolved {
  /** The worktree's real path. */
  root: string;
  /** The path relative to the root, `/`-separated, with `.` segments removed ("" for the root itself). */
  rel: string;
  /** The real location on disk (in-tree links followed for the directories on the way). */
  full: string;
  /** What is there now, seen without following a link at the end. */
  kind: "file" | "dir" | "missing" | "link" | "other";
}

/** Checks a path as text, before touching the disk; returns its segments. */
export function pathSegments(path: string): string[] {
  if (path.includes("\0")) throw refuse("path contains a NUL byte");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0001-\u001f\u007f]/.test(path)) throw refuse("path contains a control character");
  if (path.includes("\\")) throw refuse(`path must use / as the separator: ${path}`);
  if (isAbsolute(path) || path.startsWith("~"))
    throw refuse(`path must be relative to the worktree: ${path}`);
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length > 64) throw refuse("path is nested too deeply (64 segments at most)");
  for (const s of segments) {
    // A folded `..` (e.g. fullwidth dots) is refused as well as the real one.
    if (s === ".." || foldName(s) === "" || foldName(s).replace(/\./g, "") === "")
      throw refuse(`path may not contain "..": ${path}`);
    if (isGitDir(s)) throw refuse("the .git directory is not accessible to tools");
  }
  return segments;
}

function inside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function lstatKind(p: string): Resolved["kind"] {
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return "link";
    if (st.isDirectory()) return "dir";
    if (st.isFile()) return "file";
    return "other";
  } catch {
    return "missing";
  }
}

/**
 * Resolves `path` inside `worktree`. Directories on the way may be links only when they lead to a place inside
 * the worktree; a link at the end is reported as `link` (readers follow it only if it stays inside, writers
 * refuse it). Never throws with a host path in the message.
 */
export function resolveInside(worktree: string, path: string): Resolved {
  const segments = pathSegments(path);
  const root = realpathSync(worktree);
  let cur = root;
  for (const [i, seg] of segments.entries()) {
    const p = join(cur, seg);
    const kind = lstatKind(p);
    const last = i === segments.length - 1;
    if (kind === "link") {
      let real: string;
      try {
        real = realpathSync(p);
      } catch {
        // Dangling, or a loop: whatever it names may be created later, outside.
        throw refuse(
          `path goes through a symbolic link that leads nowhere: ${segments.slice(0, i + 1).join("/")}`,
        );
      }
      if (!inside(root, real))
        throw refuse(
          `path leaves the worktree through a symbolic link: ${segments.slice(0, i + 1).join("/")}`,
        );
      // Names inside the target are checked again: a link may not lead into .git either.
      for (const s of relative(root, real).split(sep))
        if (s && isGitDir(s)) throw refuse("the .git directory is not accessible to tools");
      if (last) return { root, rel: segments.join("/"), full: p, kind: "link" };
      cur = real;
      continue;
    }
    if (kind === "missing") {
      return { root, rel: segments.join("/"), full: join(cur, ...segments.slice(i)), kind: "missing" };
    }
    if (!last && kind !== "dir") throw refuse(`not a directory: ${segments.slice(0, i + 1).join("/")}`);
    cur = p;
    if (last) return { root, rel: segments.join("/"), full: p, kind };
  }
  return { root, rel: "", full: root, kind: "dir" };
}

/** For writers: refuses links at the end and git's control files; the target's directory must be in-tree. */
export function resolveForWrite(worktree: string, path: string): Resolved {
  const r = resolveInside(worktree, path);
  if (r.rel === "") throw refuse("path names the worktree itself, not a file");
  const base = r.rel.split("/").at(-1) as string;
  if (gitControlFiles.has(foldName(base)))
    throw refuse(`${base} chooses git drivers and submodules; tools may not write it`);
  if (r.kind === "link") throw refuse(`${r.rel} is a symbolic link; tools do not write through links`);
  if (r.kind === "dir") throw refuse(`${r.rel} is a directory`);
  if (r.kind === "other") throw refuse(`${r.rel} is not a regular file`);
  // The parent was reached without leaving the tree (checked above); a missing parent is created fresh.
  if (!inside(r.root, resolve(dirname(r.full)))) throw refuse(`path leaves the worktree: ${r.rel}`);
  return r;
}

/** For readers: a link at the end is followed only when it stays inside. */
export function resolveForRead(worktree: string, path: string): Resolved {
  const r = resolveInside(worktree, path);
  if (r.kind !== "link") return r;
  const real = realpathSync(r.full);
  return { ...r, full: real, kind: lstatKind(real) };
}
