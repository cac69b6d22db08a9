import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { invalid } from "../lib/errors";
import { serviceSources, vendoredPackages } from "./embed.macro" with { type: "macro" };
import { git } from "./git";

/** The limits the supervised instances load; the agent changes them with update_config (validated, committed). */
export const LIMITS_FILE = "limits.yaml";
const defaultLimits = `# Rate-limiter policies applied by Harness (see README.md and config.example.yaml for the format).
domain: default
default:
  name: default
  capacity: 100
  refill_per_second: 10
policies: []
`;

export interface WorkspaceInfo {
  dir: string;
  created: boolean;
  commit: string | null;
}

const files = (): Record<string, string> => ({
  ...serviceSources(),
  ...vendoredPackages(),
  ".gitignore": "node_modules/\n*.snapshot.json\n",
  [LIMITS_FILE]: defaultLimits,
});

/**
 * Creates the service workspace from the sources carried inside the harness (first start only), as a git
 * repository so that every later change to the service has a commit.
 */
export function ensureWorkspace(dir: string, opts: { repo?: string | undefined } = {}): WorkspaceInfo {
  const created = !existsSync(join(dir, "src", "main.ts"));
  if (created && opts.repo) cloneService(dir, opts.repo);
  else if (created) {
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
  return { dir, created, commit: head.ok ? head.stdout.trim() : null };
}

/**
 * `service.repo`: the workspace starts as a clone of the user's repository instead of the bundled sources.
 * It must hold a Bun service with `src/main.ts` taking `--port` and `--config`; the pipeline merges into
 * `main`, which is created at the cloned HEAD when the repository's default branch has another name.
 */
function cloneService(dir: string, repo: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  // "--" ends the options: a repository argument can never be taken for a git flag.
  // The operator's own git config applies (credentials, proxies); hooks and drivers stay off.
  const cloned = git(dirname(dir), ["clone", "-q", "--", repo, dir], { userConfig: true });
  if (!cloned.ok) throw invalid(`service.repo: cannot clone ${repo}: ${cloned.stderr.trim()}`);
  if (!existsSync(join(dir, "src", "main.ts"))) {
    // Not a usable service: leave no half-made workspace behind for the next start to trip over.
    rmSync(dir, { recursive: true, force: true });
    throw invalid(`service.repo: ${repo} has no src/main.ts, the entry point the supervisor starts`);
  }
  git(dir, ["checkout", "-q", "-B", "main"]);
  if (!existsSync(join(dir, LIMITS_FILE))) {
    writeFileSync(join(dir, LIMITS_FILE), defaultLimits);
    git(dir, ["add", LIMITS_FILE]);
    git(dir, ["commit", "-q", "-m", "Add the limits file Harness applies"]);
  }
  // The vendored runtime packages stay out of the user's history without touching their .gitignore.
  appendFileSync(join(dir, ".git", "info", "exclude"), "\nnode_modules/\n*.snapshot.json\n");
  if (!existsSync(join(dir, "node_modules")))
    for (const [rel, content] of Object.entries(vendoredPackages())) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
}
