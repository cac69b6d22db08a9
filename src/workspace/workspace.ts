import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { serviceSources, vendoredPackages } from "./embed.macro" with { type: "macro" };

export interface WorkspaceInfo {
  dir: string;
  created: boolean;
  commit: string | null;
}

const files = (): Record<string, string> => ({
  ...serviceSources(),
  ...vendoredPackages(),
  ".gitignore": "node_modules/\n*.snapshot.json\n",
});

function git(dir: string, args: string[]): { ok: boolean; out: string } {
  try {
    const r = Bun.spawnSync(["git", ...args], {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "harness",
        GIT_AUTHOR_EMAIL: "harness@localhost",
        GIT_COMMITTER_NAME: "harness",
        GIT_COMMITTER_EMAIL: "harness@localhost",
      },
    });
    return { ok: r.exitCode === 0, out: (r.stdout.toString() + r.stderr.toString()).trim() };
  } catch {
    return { ok: false, out: "git is not installed" };
  }
}

/**
 * Creates the service workspace from the sources carried inside the harness (first start only), as a git
 * repository so that every later change to the service has a commit.
 */
export function ensureWorkspace(dir: string): WorkspaceInfo {
  const created = !existsSync(join(dir, "src", "main.ts"));
  if (created) {
    for (const [rel, content] of Object.entries(files())) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    if (git(dir, ["init", "-q", "-b", "main"]).ok) {
      git(dir, ["add", "-A"]);
      git(dir, ["commit", "-q", "-m", "Import rate-limiter from the harness bundle"]);
    }
  } else if (!existsSync(join(dir, "node_modules"))) {
    // A user-provided or cleaned workspace still needs the runtime packages to start offline.
    for (const [rel, content] of Object.entries(vendoredPackages())) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
  }
  const head = git(dir, ["rev-parse", "--short=12", "HEAD"]);
  return { dir, created, commit: head.ok ? head.out : null };
}
