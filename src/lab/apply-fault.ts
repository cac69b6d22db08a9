import { breakConfig } from "./bad-config";
import { driftConfig } from "./config-drift";
import type { AppliedFault, FaultContext } from "./fault";
import type { HarnessHandle, Instance } from "./harness-handle";
import { hangInstance } from "./hung-instance";
import { explodeKeys } from "./key-explosion";
import { noFault } from "./no-fault";
import { noisyClient } from "./noisy-client";
import type { Scenario } from "./scenarios";
import { commitSlowdown } from "./slow-commit";
import { surgeTraffic } from "./traffic-surge";

/**
 * Applies a scenario's fault to the running service, from outside it: one module per kind. `slow_redis`
 * (slow-redis.ts) and `bad_deploy` (bad-deploy.ts) are driven by the runner itself, never applied here.
 */
export async function applyFault(h: HarnessHandle, f: Scenario["fault"]): Promise<AppliedFault> {
  const instances = (await h.api<Instance[]>("/api/v1/service")).data;
  const first = instances.find((i) => i.state === "ready");
  if (!first) throw new Error("no ready instance to apply the fault to");
  const ctx: FaultContext = { h, instances, first, target: `http://127.0.0.1:${first.port}` };
  switch (f.kind) {
    case "hang":
      return hangInstance(ctx);
    case "key_explosion":
      return explodeKeys(ctx, f);
    case "bad_config":
      return breakConfig(ctx, f);
    case "config_drift":
      return driftConfig(ctx);
    case "slow_commit":
      return commitSlowdown(ctx, f);
    case "surge":
      return surgeTraffic(ctx, f);
    case "noisy_neighbour":
    case "prompt_injection":
      return noisyClient(ctx, f);
    case "none":
      return noFault(ctx, f);
    case "slow_redis":
    case "bad_deploy":
      throw new Error(`the ${f.kind} fault is driven by the scenario runner, not applied to an instance`);
  }
}
