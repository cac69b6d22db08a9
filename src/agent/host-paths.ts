import { realpathSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname } from "node:path";

/**
 * Tool output never shows where Harness lives on the host: the worktree reads as `.`, the workspace, the data
 * directory, the home and temp directories as `<host>`. A model that learns absolute paths learns what to aim
 * at; errors from the file system and git name them freely.
 */
export function hostPathScrubber(
  worktree: string | null,
  workspace: string | null,
): (text: string) => string {
  const pairs: [string, string][] = [];
  const add = (p: string | null | undefined, as: string) => {
    if (!p || p.length < 5) return;
    pairs.push([p, as]);
    try {
      const real = realpathSync(p);
      if (real !== p && real.length >= 5) pairs.push([real, as]);
    } catch {
      // gone; the path as given is enough
    }
  };
  add(worktree, ".");
  if (workspace) {
    add(workspace, "<host>");
    add(dirname(dirname(workspace)), "<host>"); // the data directory: <data>/workspace/<service>
  }
  add(process.cwd(), "<host>");
  add(homedir(), "<host>");
  add(tmpdir(), "<host>");
  // Longest first, so a path inside another is replaced whole.
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text;
    for (const [from, to] of pairs) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  };
}
