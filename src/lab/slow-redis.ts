import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LIMITS_FILE } from "../workspace/workspace";
import { startDelayProxy } from "./delay-proxy";
import type { HarnessHandle } from "./harness-handle";

type Instance = { state: string };

async function restartAndWait(h: HarnessHandle): Promise<void> {
  await h.api("/api/v1/service/restart", { method: "POST" });
  for (let i = 0; i < 100; i++) {
    const ready = (await h.api<Instance[]>("/api/v1/service")).data.filter((x) => x.state === "ready");
    if (ready.length > 0) return;
    await Bun.sleep(200);
  }
  throw new Error("the service did not become ready after the restart");
}

/**
 * The slow-Redis fault, from outside the service: a delaying TCP proxy in front of the real Redis, the limits
 * file pointed at it (store type Redis, a tight timeout, fail open), and a restart, as an operator moving the
 * service to a shared store would do. `inject` makes every Redis reply late; `restore` puts the limits file
 * back as it was found (an edit outside any ticket, like the fault's own), restarts, and stops the proxy.
 */
export async function prepareSlowRedis(
  h: HarnessHandle,
  f: { delay_ms: number; timeout_ms: number; redis_url: string },
) {
  const target = new URL(f.redis_url);
  const proxy = await startDelayProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const limits = join(h.dataDir, "workspace", "rate-limiter", LIMITS_FILE);
  const original = readFileSync(limits, "utf8");
  const doc = (Bun.YAML.parse(original) ?? {}) as Record<string, unknown>;
  const store = {
    ...((doc.store as object) ?? {}),
    type: "redis",
    redis_url: `redis://127.0.0.1:${proxy.port}`,
    timeout_ms: f.timeout_ms,
    fail_open: true,
  };
  writeFileSync(limits, Bun.YAML.stringify({ ...doc, store }, null, 2));
  await Bun.sleep(1200); // the running instance reloads; the store type takes effect at the restart
  await restartAndWait(h);
  await Bun.sleep(2000); // healthy on Redis first, so the errors that follow are the fault's
  return {
    inject: async () => proxy.setDelay(f.delay_ms),
    async restore(): Promise<void> {
      proxy.setDelay(0);
      writeFileSync(limits, original);
      await Bun.sleep(1200);
      await restartAndWait(h).catch(() => {});
      proxy.stop();
    },
  };
}
