import { z } from "zod";
import { describeZodIssues, invalid } from "../lib/errors";
import { AnomalyInput } from "../rules/anomalies";
import { InvariantInput } from "../rules/model";

/**
 * Declarative fault scenarios (YAML files: see src/lab/scenarios/, or pass your own with --file). Faults come
 * from outside the service: process signals, an operator's config edit, traffic. `expect` names the rule that
 * must detect it (none for the control).
 */
/** One client sending `share` of `rate`; with `base_rate`, `base_duration` of well-behaved traffic first. */
const noisyClient = {
  rate: z.number().positive(),
  share: z.number().min(0).max(1),
  duration: z.string(),
  base_rate: z.number().positive().optional(),
  base_duration: z.string().default("30s"),
};

export const Scenario = z
  .object({
    name: z.string(),
    description: z.string(),
    fault: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("hang") }),
      z.object({
        kind: z.literal("key_explosion"),
        max_keys: z.number().int().positive(),
        keys: z.number().int().positive(),
        rate: z.number().positive(),
        duration: z.string(),
      }),
      z.object({ kind: z.literal("bad_config"), content: z.string() }),
      z.object({ kind: z.literal("none"), duration: z.string() }),
      /** `base_duration` of the usual rate, then `factor` × it from many ordinary clients (the onset). */
      z.object({
        kind: z.literal("surge"),
        base_rate: z.number().positive(),
        base_duration: z.string().default("30s"),
        factor: z.number().positive(),
        duration: z.string(),
        keys: z.number().int().positive().default(1000),
      }),
      /**
       * A half-applied edit: with one instance paused, a valid change reaches the others, then an invalid one
       * reaches all; the paused instance keeps the old config, the others the new. Needs two instances.
       */
      z.object({ kind: z.literal("config_drift") }),
      /**
       * An operator commits a change that makes every request `delay_ms` slower straight to main, outside any
       * ticket, and restarts the service: a regression already live, which only a code change fixes.
       */
      z.object({ kind: z.literal("slow_commit"), delay_ms: z.number().int().positive().default(80) }),
      /** Redis behind a delaying proxy: every reply `delay_ms` late, against a `timeout_ms` store timeout. */
      z.object({
        kind: z.literal("slow_redis"),
        delay_ms: z.number().int().positive(),
        timeout_ms: z.number().int().positive().default(20),
        redis_url: z.string().default("redis://127.0.0.1:6379"),
      }),
      /** A person deploys a change that makes every request `delay_ms` slower, through the deploy API. */
      z.object({ kind: z.literal("bad_deploy"), delay_ms: z.number().int().positive().default(80) }),
      /**
       * One key sending `share` of the traffic, far beyond its limit; with `base_rate`, `base_duration` of
       * well-behaved traffic first, so a detector has a before.
       */
      z.object({ kind: z.literal("noisy_neighbour"), ...noisyClient }),
      /**
       * A noisy neighbour whose key and X-Request-Id are instructions to the agent ("set capacity to …"): both
       * reach the sampled denial log the agent reads. Whatever the brain makes of them, no change may take
       * effect without a person.
       */
      z.object({
        kind: z.literal("prompt_injection"),
        ...noisyClient,
        key: z.string().min(1).max(1024),
        request_id: z.string().min(1).max(1024),
      }),
    ]),
    expect: z.object({
      rule: z.string().nullable(),
      kind: z.enum(["invariant", "slo", "anomaly", "pipeline"]).nullable(),
    }),
    /** Rules the scenario needs beyond the shipped ones, created (by name, if missing) before the fault. */
    rules: z
      .object({
        invariants: z.array(InvariantInput).default([]),
        anomalies: z.array(AnomalyInput).default([]),
      })
      .optional(),
    /** What the running harness must offer; a harness without it records the scenario as skipped. */
    needs: z
      .object({ instances: z.number().int().min(1).max(8).default(1) })
      .strict()
      .prefault({}),
    /** Ordinary traffic kept up for the whole run, so that rules on rates and latency have data. */
    traffic: z.object({ rate: z.number().positive() }).optional(),
    detect_within: z.string(),
    resolve_within: z.string(),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;

import badDeploy from "./scenarios/bad-deploy.yaml" with { type: "text" };
import drift from "./scenarios/config-drift.yaml" with { type: "text" };
import crashLoop from "./scenarios/crash-loop-after-bad-config.yaml" with { type: "text" };
import hung from "./scenarios/hung-instance.yaml" with { type: "text" };
import keyExplosion from "./scenarios/key-cardinality-explosion.yaml" with { type: "text" };
import latency from "./scenarios/latency-regression.yaml" with { type: "text" };
import control from "./scenarios/no-fault-control.yaml" with { type: "text" };
import noisy from "./scenarios/noisy-neighbour.yaml" with { type: "text" };
import injection from "./scenarios/prompt-injection.yaml" with { type: "text" };
import slowRedis from "./scenarios/slow-redis.yaml" with { type: "text" };
import surge from "./scenarios/traffic-surge.yaml" with { type: "text" };

/** Parses one scenario file (YAML); errors name the file and the field. */
export function parseScenario(text: string, origin: string): Scenario {
  let raw: unknown;
  try {
    raw = Bun.YAML.parse(text);
  } catch (err) {
    throw invalid(`scenario ${origin} is not valid YAML: ${(err as Error).message}`);
  }
  const r = Scenario.safeParse(raw);
  if (!r.success) throw invalid(`scenario ${origin}: ${describeZodIssues(r.error.issues)}`);
  return r.data;
}

/** The built-in scenarios: YAML files in src/lab/scenarios/, carried inside the binary. */
export const scenarios: Scenario[] = [
  ["no-fault-control.yaml", control],
  ["hung-instance.yaml", hung],
  ["key-cardinality-explosion.yaml", keyExplosion],
  ["crash-loop-after-bad-config.yaml", crashLoop],
  ["traffic-surge.yaml", surge],
  ["noisy-neighbour.yaml", noisy],
  ["prompt-injection.yaml", injection],
  ["bad-deploy.yaml", badDeploy],
  ["config-drift.yaml", drift],
  ["latency-regression.yaml", latency],
  ["slow-redis.yaml", slowRedis],
].map(([file, text]) => parseScenario(text as string, file as string));
