import { parseArgs } from "node:util";
import { systemClock } from "./clock";
import { builtinDefault, type Config, ConfigError, loadConfigFile, parseConfig } from "./config";
import { createLog } from "./log";
import { createMetrics } from "./metrics";
import { createReloader } from "./reload";
import { createServer } from "./server";
import { MemoryStore } from "./stores/memory";
import { RedisStore } from "./stores/redis";
import type { Store } from "./stores/store";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    port: { type: "string" },
    host: { type: "string" },
    config: { type: "string" },
    snapshot: { type: "string" },
    instance: { type: "string" },
    "drain-ms": { type: "string" },
  },
  allowPositionals: true,
  strict: true,
});

if (positionals[0] === "validate") {
  const file = positionals[1];
  if (!file) {
    console.error("usage: rate-limiter validate FILE");
    process.exit(2);
  }
  try {
    console.log(`ok ${loadConfigFile(file).hash}`);
    process.exit(0);
  } catch (err) {
    console.error(`invalid config ${file}: ${(err as Error).message}`);
    process.exit(1);
  }
}

const env = process.env;
const port = Number(values.port ?? env.PORT ?? 8080);
const host = values.host ?? env.HOST ?? "127.0.0.1";
const configPath = values.config ?? env.RATE_LIMITER_CONFIG;
const snapshotPath = values.snapshot ?? env.RATE_LIMITER_SNAPSHOT;
const instance = values.instance ?? env.RATE_LIMITER_INSTANCE ?? `rate-limiter-${port}`;
const log = createLog(instance);
const metrics = createMetrics();

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  log("error", "invalid port", { port: values.port ?? env.PORT });
  process.exit(2);
}

let initial: Config;
try {
  initial = configPath
    ? loadConfigFile(configPath)
    : parseConfig(Bun.YAML.stringify({ default: builtinDefault }));
} catch (err) {
  log("error", "config invalid", {
    path: configPath,
    error: err instanceof ConfigError ? err.message : String(err),
  });
  process.exit(1);
}

const reloader = configPath
  ? createReloader(configPath, initial, (ok, d) => {
      metrics.reloads.inc({ result: ok ? "success" : "failure" });
      metrics.lastReloadOk.set(ok ? 1 : 0);
      if (ok) metrics.lastReloadSuccessTime.set(systemClock.now() / 1000);
      if (ok) {
        const next = reloader?.current();
        if (next && store === memory) memory.setMaxKeys(next.store.max_keys);
        if (next && store instanceof RedisStore) store.setLimits(next.store.timeout_ms, next.store.fail_open);
        if (next && next.store.type !== initial.store.type)
          log("warn", "store.type changes take effect on restart", { running: initial.store.type });
        metrics.configInfo.reset();
        metrics.configInfo.set({ hash: d.hash as string }, 1);
        log("info", "config loaded", { hash: d.hash, reason: d.reason });
      } else
        log("error", "config reload rejected; previous config stays in force", {
          reason: d.reason,
          error: d.error,
        });
    })
  : null;
const config = () => reloader?.current() ?? initial;
metrics.configInfo.set({ hash: initial.hash }, 1);
metrics.lastReloadOk.set(1);
metrics.lastReloadSuccessTime.set(systemClock.now() / 1000);
log("info", "config loaded", { hash: initial.hash, path: configPath ?? "(built-in default)" });

// Every store error is counted; the log gets the first one each second plus how many were suppressed, so
// a Redis outage under load does not turn into thousands of identical lines a second.
let lastStoreErrorLog = 0;
let suppressedStoreErrors = 0;
function storeErrorLog(op: string, err: Error): void {
  const now = systemClock.now();
  if (now - lastStoreErrorLog < 1000) {
    suppressedStoreErrors++;
    return;
  }
  log("error", "store error", { op, error: err.message, suppressed: suppressedStoreErrors });
  lastStoreErrorLog = now;
  suppressedStoreErrors = 0;
}

const memory = new MemoryStore(initial.store.max_keys, () => systemClock.now());
const store: Store =
  initial.store.type === "redis"
    ? new RedisStore({
        url: initial.store.redis_url,
        timeoutMs: initial.store.timeout_ms,
        failOpen: initial.store.fail_open,
        onError: (op, err) => {
          metrics.storeErrors.inc({ op });
          storeErrorLog(op, err);
        },
      })
    : memory;
if (snapshotPath && store === memory) {
  const n = memory.loadSnapshot(snapshotPath);
  if (n > 0) log("info", "snapshot restored", { keys: n, path: snapshotPath });
}

const drainMs = Number(values["drain-ms"] ?? env.RATE_LIMITER_DRAIN_MS ?? 1000);
const app = createServer({ config, store, metrics, log, ready: () => true, instance });
const boundPort = app.start({ port, hostname: host });
log("info", "listening", { port: boundPort, host });

process.on("SIGHUP", () => reloader?.reload("SIGHUP"));
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log("info", "shutting down", { signal });
  reloader?.stop();
  await app.stop(drainMs);
  if (snapshotPath && store === memory)
    log("info", "snapshot written", { keys: memory.saveSnapshot(snapshotPath), path: snapshotPath });
  await store.close();
  log("info", "stopped", { signal });
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
