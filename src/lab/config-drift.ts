import { readFileSync, writeFileSync } from "node:fs";
import { systemClock } from "../lib/clock";
import { type AppliedFault, type FaultContext, limitsFile } from "./fault";
import { type Instance, poll } from "./harness-handle";

const instanceMetrics = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
const configHash = (metrics: string) =>
  /^ratelimiter_config_info\{hash="([^"]+)"\}/m.exec(metrics)?.[1] ?? null;

/** Waits until every instance's own /metrics satisfies `ok` (20 s at most, then says which did not). */
async function waitForEach(instances: Instance[], ok: (metrics: string, k: number) => boolean) {
  const pending = await Promise.all(
    instances.map((i, k) => poll(async () => ok(await instanceMetrics(i.port), k), 20_000)),
  );
  const late = instances.filter((_, k) => !pending[k]).map((i) => i.port);
  if (late.length > 0)
    throw new Error(`instances on ports ${late.join(", ")} did not reach the fault's state`);
}

/**
 * `config_drift`: a half-applied edit. With the second ready instance paused, a valid change reaches the
 * others, then an invalid one reaches all; the paused one wakes to keep the old config, the others the new.
 */
export async function driftConfig({ h, instances }: FaultContext): Promise<AppliedFault> {
  const onset = systemClock.now();
  const ready = instances.filter((i) => i.state === "ready");
  const paused = ready[1];
  if (!paused) throw new Error("config-drift needs two ready instances (service.instances: 2)");
  const limits = limitsFile(h);
  const original = readFileSync(limits, "utf8");
  const doc = (Bun.YAML.parse(original) ?? {}) as { default?: { capacity?: number } };
  const capacity = (doc.default?.capacity ?? 100) + 1;
  const others = ready.filter((i) => i !== paused);
  const before = await Promise.all(others.map((i) => instanceMetrics(i.port)));
  process.kill(paused.pid as number, "SIGSTOP");
  try {
    // The running instances take a valid change… (waited for, not slept on: a loaded machine can take
    // longer than a second to reload, and then the drift would never happen)
    writeFileSync(limits, Bun.YAML.stringify({ ...doc, default: { ...doc.default, capacity } }, null, 2));
    await waitForEach(
      others,
      (m, k) => configHash(m) !== null && configHash(m) !== configHash(before[k] ?? ""),
    );
    // …then an invalid one, which everybody rejects, keeping what they had.
    writeFileSync(limits, "default: { name: half-edited, capacity: oops }\n");
    await waitForEach(others, (m) => /^ratelimiter_config_last_reload_successful 0$/m.test(m));
  } finally {
    process.kill(paused.pid as number, "SIGCONT");
  }
  await waitForEach([paused], (m) => /^ratelimiter_config_last_reload_successful 0$/m.test(m));
  return { onset };
}
