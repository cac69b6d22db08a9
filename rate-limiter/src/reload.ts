import { readFileSync, statSync, watch } from "node:fs";
import { type Clock, systemClock, type TimerHandle } from "./clock";
import { type Config, ConfigError, configHash, parseConfig } from "./config";

export interface Reloader {
  current(): Config;
  reload(reason: string): boolean;
  stop(): void;
}

/**
 * Keeps the last good config: an invalid file is rejected (logged, counted) and the previous one stays in
 * force. Watches the file and polls its mtime, since editors often replace files in ways fs.watch misses.
 * A change is read once it has settled (`settleMs` without a further event): one write makes several
 * events (truncate, then write), and reading between them would see a half-written file. The same bytes
 * are judged once: a rejected file is not rejected again on every event it causes.
 */
export interface ReloaderOptions {
  /** How often the file's mtime is checked. */
  pollMs?: number;
  /** How long a change must be quiet before the file is read. */
  settleMs?: number;
  /** Runs the poll and settle timers; tests pass a fake one. */
  clock?: Clock;
}

export function createReloader(
  path: string,
  initial: Config,
  onResult: (ok: boolean, detail: { reason: string; hash?: string; error?: string }) => void,
  { pollMs = 500, settleMs = 100, clock = systemClock }: ReloaderOptions = {},
): Reloader {
  let config = initial;
  let lastMtime = mtime(path);
  // Hash of the bytes last rejected, so repeated events for one bad file count one failure.
  let rejected: string | undefined;
  function mtime(p: string): number {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return -1;
    }
  }
  function reload(reason: string): boolean {
    lastMtime = mtime(path);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      rejected = undefined;
      onResult(false, { reason, error: (err as Error).message });
      return false;
    }
    const hash = configHash(text);
    if (hash === config.hash) return true;
    if (hash === rejected && reason === CHANGED) return false;
    try {
      // At start an empty file means the built-in defaults; on a reload it is far more likely a write
      // caught halfway, and taking it would reset every limit at once.
      if (text.trim() === "") throw new ConfigError("the file is empty (a write in progress?)");
      config = parseConfig(text);
      rejected = undefined;
      onResult(true, { reason, hash: config.hash });
      return true;
    } catch (err) {
      rejected = hash;
      onResult(false, { reason, error: err instanceof ConfigError ? err.message : (err as Error).message });
      return false;
    }
  }
  let settling: TimerHandle | undefined;
  const changed = () => {
    clock.clearTimeout(settling);
    settling = clock.setTimeout(() => reload(CHANGED), settleMs);
  };
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(path, changed);
  } catch {
    watcher = null;
  }
  const timer = clock.setInterval(() => {
    const m = mtime(path);
    if (m !== lastMtime) {
      lastMtime = m;
      changed();
    }
  }, pollMs);
  return {
    current: () => config,
    reload,
    stop() {
      watcher?.close();
      clock.clearInterval(timer);
      clock.clearTimeout(settling);
    },
  };
}

const CHANGED = "file changed";
