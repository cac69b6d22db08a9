/**
 * The environment every child process starts from: an allowlist, never a copy of ours. Harness holds the API
 * token, the webhook secret and model keys in its environment; the service, its tests, deploy checks and git
 * need none of them, and whatever a child can read it can print.
 */
const passThrough = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"] as const;

export function baseChildEnv(
  source: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of passThrough) {
    const v = source[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  return env;
}

/**
 * For a child that runs Bun code through the harness binary (`BUN_BE_BUN=1` makes a compiled harness behave as
 * `bun`). `extra` names further variables the operator allowed (`sandbox.env` in harness.yaml); their values
 * come from our environment.
 */
export function bunChildEnv(
  extra: readonly string[] = [],
  source: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env = baseChildEnv(source);
  for (const k of extra) {
    const v = source[k];
    if (v !== undefined) env[k] = v;
  }
  env.BUN_BE_BUN = "1";
  // Bun's install cache: `bun install` in a check stage finds packages offline only there.
  const cache = source.BUN_INSTALL_CACHE_DIR;
  if (cache !== undefined) env.BUN_INSTALL_CACHE_DIR = cache;
  return env;
}
