import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { AppError } from "../lib/errors";

/**
 * Resolves a model-supplied path inside the workspace or refuses: no absolute paths, no `..`, no symlink
 * that leads outside, and never the `.git` directory.
 */
export function confine(workspace: string, path: string): string {
  if (path.includes("\0")) throw new AppError("invalid", "path contains a NUL byte");
  if (isAbsolute(path)) throw new AppError("invalid", `path must be relative to the workspace: ${path}`);
  const parts = path.split(/[\\/]+/);
  if (parts.includes("..")) throw new AppError("invalid", `path may not contain "..": ${path}`);
  if (parts[0] === ".git") throw new AppError("invalid", "the .git directory is not editable");
  const root = realpathSync(workspace);
  const full = resolve(root, path);
  // Check the deepest existing ancestor: a symlink anywhere on the way could point outside.
  let probe = full;
  while (!existsSync(probe)) probe = dirname(probe);
  const real = realpathSync(probe);
  const rel = relative(root, real);
  if (rel.startsWith("..") || isAbsolute(rel) || (rel !== "" && rel.split(sep)[0] === "..")) {
    throw new AppError("invalid", `path leaves the workspace: ${path}`);
  }
  return full;
}
