import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

const unitSeconds = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;

const Policy = z
  .object({
    name: z.string().min(1),
    // YAML reads `port: 80` as a number; descriptor values are always strings on the wire.
    match: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    capacity: z.number().positive(),
    refill_per_second: z.number().nonnegative().optional(),
    requests_per_unit: z.number().positive().optional(),
    unit: z.enum(["second", "minute", "hour", "day"]).optional(),
    shadow_mode: z.boolean().default(false),
  })
  .strict()
  .refine(
    (p) =>
      (p.refill_per_second !== undefined) !== (p.requests_per_unit !== undefined && p.unit !== undefined),
    {
      message: "give refill_per_second, or requests_per_unit with unit",
    },
  );

export const ConfigSchema = z
  .object({
    domain: z.string().min(1).default("default"),
    deny_status: z.union([z.literal(200), z.literal(429)]).default(200),
    store: z
      .object({
        type: z.enum(["memory", "redis"]).default("memory"),
        max_keys: z.number().int().positive().default(100_000),
        redis_url: z.string().default("redis://127.0.0.1:6379"),
        timeout_ms: z.number().int().positive().default(20),
        fail_open: z.boolean().default(true),
      })
      .strict()
      .default({
        type: "memory",
        max_keys: 100_000,
        redis_url: "redis://127.0.0.1:6379",
        timeout_ms: 20,
        fail_open: true,
      }),
    log: z
      .object({ deny_sample: z.number().int().positive().default(100) })
      .strict()
      .default({ deny_sample: 100 }),
    default: Policy.optional(),
    policies: z.array(Policy).default([]),
  })
  .strict();

export type RawConfig = z.infer<typeof ConfigSchema>;
export type RawPolicy = z.infer<typeof Policy>;

export interface ResolvedPolicy {
  name: string;
  match: Record<string, string>;
  capacity: number;
  refillPerSecond: number;
  /** Window advertised in RateLimit-Policy: the time to refill a full bucket. */
  windowSeconds: number;
  unit: keyof typeof unitSeconds;
  shadow: boolean;
}

export interface Config {
  domain: string;
  denyStatus: 200 | 429;
  store: RawConfig["store"];
  denySample: number;
  policies: ResolvedPolicy[];
  fallback: ResolvedPolicy;
  hash: string;
}

/** Envoy reports whole requests per unit: pick the smallest unit in which a slow rate is at least 1. */
function reportingUnit(perSecond: number): keyof typeof unitSeconds {
  for (const unit of ["second", "minute", "hour"] as const)
    if (perSecond * unitSeconds[unit] >= 1) return unit;
  return "day";
}

function resolve(p: RawPolicy): ResolvedPolicy {
  const refillPerSecond =
    p.refill_per_second ?? (p.requests_per_unit as number) / unitSeconds[p.unit ?? "second"];
  return {
    name: p.name,
    match: p.match,
    capacity: p.capacity,
    refillPerSecond,
    windowSeconds: refillPerSecond > 0 ? Math.max(1, Math.round(p.capacity / refillPerSecond)) : 0,
    unit: p.unit ?? reportingUnit(refillPerSecond),
    shadow: p.shadow_mode,
  };
}

export const builtinDefault: RawPolicy = {
  name: "default",
  match: {},
  capacity: 100,
  refill_per_second: 10,
  shadow_mode: false,
};

export class ConfigError extends Error {}

/** Parses and validates config text; errors name the bad field. */
export function parseConfig(text: string): Config {
  let raw: unknown;
  try {
    raw = text.trim() === "" ? {} : Bun.YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid YAML: ${(err as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  const c = parsed.data;
  const names = new Set<string>();
  for (const p of c.policies) {
    if (names.has(p.name)) throw new ConfigError(`policies: duplicate policy name "${p.name}"`);
    names.add(p.name);
  }
  return {
    domain: c.domain,
    denyStatus: c.deny_status,
    store: c.store,
    denySample: c.log.deny_sample,
    policies: c.policies.map(resolve),
    fallback: resolve(c.default ?? builtinDefault),
    hash: configHash(text),
  };
}

/** A config's identity: the first 12 hex digits of the sha256 of its file's bytes. */
export function configHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

export function loadConfigFile(path: string): Config {
  return parseConfig(readFileSync(path, "utf8"));
}
