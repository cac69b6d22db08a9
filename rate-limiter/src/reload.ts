import { statSync, watch } from "node:fs";
import { type Config, ConfigError, loadConfigFile } from "./config";

export interface Reloader {
  current(): Config;
  reload(reason: string): boolean;
  stop(): void;
}

/**
 * Keeps the last good config: an invalid file is rejected (logged, counted) and the previous one stays in
 * force. Watches the file and polls its mtime, since editors often replace files in ways fs.watch misses.
 */
export function createReloader(
  path: string,
  initial: Config,
  onResult: (ok: boolean, detail: { reason: string; hash?: string; error?: string }) => void,
  pollMs = 500,
): Reloader {
  let config = initial;
  let lastMtime = mtime(path);
  function mtime(p: string): number {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return -1;
    }
  }
  function reload(reason: string): boolean {
    lastMtime = mtime(path);
    try {
      const next = loadConfigFile(path);
      if (next.hash === config.hash) return true;
      config = next;
      onResult(true, { reason, hash: next.hash });
      return true;
    } catch (err) {
      onResult(false, { reason, error: err instanceof ConfigError ? err.message : (err as Error).message });
      return false;
    }
  }
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(path, () => reload("file changed"));
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => {
    if (mtime(path) !== lastMtime) reload("file changed");
  }, pollMs);
  return {
    current: () => config,
    reload,
    stop() {
      watcher?.close();
      clearInterval(timer);
    },
  };
}
