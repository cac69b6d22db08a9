import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
  return { dir, created, commit: head.ok ? head.stdout.trim() : null };
}
