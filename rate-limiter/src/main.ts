import { parseArgs } from "node:util";
import { builtinDefault, type Config, ConfigError, loadConfigFile, parseConfig } from "./config";
import { createLog } from "./log";
import { createMetrics } from "./metrics";
import { RedisStore } from "./redis-store";
import { createReloader } from "./reload";
import { createServer } from "./server";
import { MemoryStore, type Store } from "./store";

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
      if (ok) {
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
log("info", "config loaded", { hash: initial.hash, path: configPath ?? "(built-in default)" });

const memory = new MemoryStore(initial.store.max_keys, () => Date.now());
const store: Store =
  initial.store.type === "redis"
    ? new RedisStore({
        url: initial.store.redis_url,
        timeoutMs: initial.store.timeout_ms,
        failOpen: initial.store.fail_open,
        onError: (op) => metrics.storeErrors.inc({ op }),
      })
    : memory;
if (snapshotPath && store === memory) {
  const n = memory.loadSnapshot(snapshotPath);
  if (n > 0) log("info", "snapshot restored", { keys: n, path: snapshotPath });
}

const drainMs = Number(values["drain-ms"] ?? env.RATE_LIMITER_DRAIN_MS ?? 1000);
let draining = false;
const app = createServer({ config, store, metrics, log, ready: () => !draining });
// While draining, every answer asks the client to close its connection, so keep-alive clients move to the
// process that shares the port (reusePort) before this one stops listening.
const server = Bun.serve({
  port,
  hostname: host,
  reusePort: true,
  idleTimeout: 30,
  fetch: async (req) => {
    const res = await app.fetch(req);
    if (draining) res.headers.set("connection", "close");
    return res;
  },
});
log("info", "listening", { port: server.port, host });

process.on("SIGHUP", () => reloader?.reload("SIGHUP"));
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log("info", "shutting down", { signal });
  reloader?.stop();
  draining = true;
  await Bun.sleep(drainMs);
  // stop(false) stops accepting and lets in-flight requests finish.
  await server.stop(false);
  if (snapshotPath && store === memory)
    log("info", "snapshot written", { keys: memory.saveSnapshot(snapshotPath), path: snapshotPath });
  await store.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
