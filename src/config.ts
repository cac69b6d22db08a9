import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { harnessDuration, readDuration } from "./lib/duration";
import { describeZodIssues, invalid } from "./lib/errors";
import { type Channel, notifyEvents, targetName } from "./notify/model";
import { notifySecretNames } from "./notify/targets";
import { defaultQueryLimits } from "./telemetry/query-limits";

const duration = z.string().transform((s, ctx) => {
  const ms = readDuration(s, harnessDuration);
  if (ms !== null) return ms;
  ctx.addIssue({ code: "custom", message: `"${s}" is not a duration such as 15s, 5m, 1h` });
  return z.NEVER;
});

const port = z.number().int().min(0).max(65_535);

/** The Claude model the agent uses unless `agent.model` names another; ClaudeBrain's default too. */
export const defaultClaudeModel = "claude-sonnet-4-6";

/** Query limits default to Prometheus's and Loki's, as query-limits.ts has them. */
const limits = defaultQueryLimits;

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL");

/** A remote Prometheus- or Loki-compatible endpoint; secrets come from the environment, never the file. */
const remoteFields = {
  url: httpUrl.optional(),
  username: z.string().optional(),
  password_env: z.string().optional(),
  bearer_token_env: z.string().optional(),
  timeout: duration.default(10_000),
  retries: z.number().int().min(0).max(10).default(2),
};

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name");

/** Fields every notification target has; `events` defaults per channel (src/notify/model.ts). */
const notifyTarget = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "use up to 64 letters, digits, _ . -")
    .optional(),
  events: z.array(z.enum(notifyEvents)).min(1).optional(),
};

/** Outbound notifications (src/notify/): secrets are named here and read from the environment. */
const notifySection = z
  .object({
    /** Base of the ticket links in messages; default: the web role's own address. */
    public_url: httpUrl.optional(),
    /** Further attempts after a failed one (5xx, 408, 429, no answer), with backoff. */
    retries: z.number().int().min(0).max(10).default(3),
    timeout: duration.default(10_000),
    /** Events older than this are not announced (a target added today is not told last month's failures). */
    max_age: duration.default(3_600_000),
    slack: z
      .array(
        z
          .object({ ...notifyTarget, url_env: envName.optional(), url: httpUrl.optional() })
          .strict()
          .refine((s) => (s.url === undefined) !== (s.url_env === undefined), {
            message: "give url_env (the variable holding the webhook URL) or url, not both",
            path: ["url_env"],
          }),
      )
      .default([]),
    webhooks: z.array(z.object({ ...notifyTarget, url: httpUrl, secret_env: envName }).strict()).default([]),
    pagerduty: z
      .array(
        z
          .object({
            ...notifyTarget,
            routing_key_env: envName,
            url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .superRefine((n, ctx) => {
    // Names key the delivery log and `harness notify test --target`: two targets may not share one.
    const seen = new Set<string>();
    const lists: [Channel, "slack" | "webhooks" | "pagerduty"][] = [
      ["slack", "slack"],
      ["webhook", "webhooks"],
      ["pagerduty", "pagerduty"],
    ];
    for (const [channel, key] of lists)
      n[key].forEach((t, i) => {
        const name = targetName(channel, i, t.name);
        if (seen.has(name))
          ctx.addIssue({
            code: "custom",
            path: [key, i, "name"],
            message: `target name "${name}" is used twice`,
          });
        seen.add(name);
      });
  })
  .prefault({});

/**
 * Every default is written once, beside its field: a section left out is parsed from `{}` (zod's `prefault`),
 * which fills in the fields' own defaults.
 */
export const ConfigSchema = z
  .object({
    server: z
      .object({ host: z.string().default("127.0.0.1"), port: port.default(7070) })
      .strict()
      .prefault({}),
    data_dir: z.string().default(".harness"),
    token: z.string().min(16, "token must be at least 16 characters").optional(),
    monitor: z
      .object({
        // 10 s, with the scrape's 10 s and 5 s timeout, puts a hung instance's ticket within a minute of the
        // hang (scrape timeout + RateLimiterDown's 30 s `for` + one evaluation), at a few queries a second.
        interval: duration.default(10_000),
        verification_timeout: duration.default(600_000),
        max_attempts: z.number().int().min(1).max(20).default(3),
        default_rules: z.boolean().default(true),
        /** YAML rule files applied at start-up (`harness rules apply`); relative to the config file. */
        rule_files: z.array(z.string().min(1)).default([]),
        /** Delete stored rules the files do not name: the files are then the only source of rules. */
        prune_rules: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    agent: z
      .object({
        workers: z.number().int().min(1).max(16).default(1),
        brain: z.enum(["auto", "runbook", "claude"]).default("auto"),
        /**
         * Who takes tickets while the configured brain does not answer (bad key, unreachable URL, outage):
         * the runbook, or nobody (`none`: they wait, uncounted, until it answers again).
         */
        fallback: z.enum(["runbook", "none"]).default("runbook"),
        model: z.string().default(defaultClaudeModel),
        lease: duration.default(60_000),
        poll: duration.default(2_000),
        max_steps: z.number().int().min(1).max(500).default(30),
        /** Budgets per ticket: beyond any of them the ticket fails with budget_exhausted. */
        max_tokens: z.number().int().positive().default(2_000_000),
        max_cost_usd: z.number().positive().default(5),
        max_wall: duration.default(1_800_000),
        /** Approval policy file (YAML); the built-in default lets the harness run unattended. */
        policy: z.string().optional(),
      })
      .strict()
      .prefault({}),
    service: z
      .object({
        name: z.string().default("rate-limiter"),
        enabled: z.boolean().default(true),
        instances: z.number().int().min(1).max(8).default(1),
        port: port.default(7071),
        config: z.string().optional(),
        /** A git repository (path or URL) to clone as the service workspace instead of the bundled sources. */
        repo: z.string().min(1).optional(),
        /**
         * The service's test command, as an argument list (no shell); `bun` means the harness binary as Bun.
         * It is the operator's, never read from the service's package.json, which the model can edit.
         */
        test_command: z.array(z.string().min(1)).min(1).max(64).default(["bun", "test"]),
      })
      .strict()
      .prefault({}),
    /** Limits on every PromQL and LogQL query, as Prometheus and Loki have them (src/telemetry/query-limits.ts). */
    query: z
      .object({
        timeout: duration.default(limits.timeoutMs),
        max_samples: z.number().int().positive().default(limits.maxSamples),
        max_points: z.number().int().positive().max(1_000_000).default(limits.maxPoints),
        /** end − start of a PromQL range query; 0s: no limit (as Prometheus). */
        max_length: duration.default(limits.maxLengthMs),
        max_regex_length: z.number().int().min(16).default(limits.maxRegexLength),
        /** Queries evaluated at once, each on its own worker thread (Prometheus: 20). */
        max_concurrency: z.number().int().min(1).max(64).default(4),
        max_queued: z.number().int().min(0).max(10_000).default(64),
        logs: z
          .object({
            max_entries: z.number().int().positive().default(limits.logs.maxEntries),
            max_series: z.number().int().positive().default(limits.logs.maxSeries),
            max_length: duration.default(limits.logs.maxLengthMs),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** How the service's tests and deploy checks are confined (docs/security.md). */
    sandbox: z
      .object({
        /** auto: bubblewrap when it works here, else a warning; required: refuse to start without it; off. */
        mode: z.enum(["auto", "required", "off"]).default("auto"),
        wall: duration.default(300_000),
        cpu: duration.default(600_000),
        memory_mb: z.number().int().min(64).max(1_048_576).default(2048),
        /** Names of further environment variables tests may see; never a secret Harness holds. */
        env: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"))
          .default([]),
      })
      .strict()
      .prefault({}),
    deploy: z
      .object({
        canary: duration.default(120_000),
        watch: duration.default(300_000),
        /** Error budget share below which only fixes for that SLO deploy; 0 turns the gate off. */
        budget_floor: z.number().min(0).max(1).default(0.05),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({ hmac_secret: z.string().min(16, "hmac_secret must be at least 16 characters").optional() })
      .strict()
      .prefault({}),
    notify: notifySection,
    scrape: z
      .object({ interval: duration.default(10_000), timeout: duration.default(5_000) })
      .strict()
      .prefault({}),
    /** Absent sections mean the embedded stores; a `url` queries a remote; push URLs ship copies there. */
    telemetry: z
      .object({
        metrics: z
          .object({ ...remoteFields, remote_write_url: httpUrl.optional() })
          .strict()
          .prefault({}),
        logs: z
          .object({ ...remoteFields, push_url: httpUrl.optional() })
          .strict()
          .prefault({}),
        queue: z
          .object({
            max_samples: z.number().int().min(100).default(200_000),
            max_lines: z.number().int().min(100).default(50_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

export interface ConfigSources {
  file?: string | undefined;
  env: Record<string, string | undefined>;
  flags?: { port?: number | undefined; dataDir?: string | undefined; host?: string | undefined };
  cwd: string;
}

/** Reads harness.yaml (if any), then applies environment and flag overrides; errors name the bad key. */
export function loadConfig(src: ConfigSources): Config & { configFile: string | null; dataDir: string } {
  const file =
    src.file ??
    src.env.HARNESS_CONFIG ??
    (existsSync(resolve(src.cwd, "harness.yaml")) ? "harness.yaml" : undefined);
  let raw: Record<string, unknown> = {};
  let configFile: string | null = null;
  if (file) {
    configFile = isAbsolute(file) ? file : resolve(src.cwd, file);
    if (!existsSync(configFile)) throw invalid(`config file ${configFile} does not exist`);
    try {
      raw = (Bun.YAML.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>) ?? {};
    } catch (err) {
      throw invalid(`config file ${configFile} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || Array.isArray(raw))
      throw invalid(`config file ${configFile} must be a mapping`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(
      `invalid config${configFile ? ` in ${configFile}` : ""}: ${describeZodIssues(parsed.error.issues)}`,
    );
  }
  const cfg = parsed.data;
  const env = src.env;
  const secretNames = new Set([
    "HARNESS_TOKEN",
    "HARNESS_WEBHOOK_SECRET",
    "ANTHROPIC_API_KEY",
    ...[cfg.telemetry.metrics, cfg.telemetry.logs].flatMap((t) => [t.password_env, t.bearer_token_env]),
    ...notifySecretNames(cfg.notify),
  ]);
  const leaked = cfg.sandbox.env.find((n) => secretNames.has(n));
  if (leaked) throw invalid(`sandbox.env: ${leaked} holds a secret of Harness's; tests may not see it`);
  const envPort = env.HARNESS_PORT !== undefined ? Number(env.HARNESS_PORT) : undefined;
  if (envPort !== undefined && !(Number.isInteger(envPort) && envPort >= 0 && envPort < 65_536)) {
    throw invalid(`HARNESS_PORT must be a port number, got "${env.HARNESS_PORT}"`);
  }
  const portValue = src.flags?.port ?? envPort;
  if (portValue !== undefined) cfg.server.port = portValue;
  const host = src.flags?.host ?? env.HARNESS_HOST;
  if (host) cfg.server.host = host;
  const dataDir = src.flags?.dataDir ?? env.HARNESS_DATA_DIR ?? cfg.data_dir;
  if (env.HARNESS_TOKEN) cfg.token = env.HARNESS_TOKEN;
  if (env.HARNESS_WEBHOOK_SECRET) cfg.webhooks.hmac_secret = env.HARNESS_WEBHOOK_SECRET;
  return { ...cfg, configFile, dataDir: isAbsolute(dataDir) ? dataDir : resolve(src.cwd, dataDir) };
}

export type LoadedConfig = ReturnType<typeof loadConfig>;

export type RemoteSection = Config["telemetry"]["metrics"] | Config["telemetry"]["logs"];

/** Auth and limits for a remote endpoint, with secrets read from the environment variables the file names. */
export function remoteOptions(
  section: RemoteSection,
  url: string,
  env: Record<string, string | undefined>,
  where: string,
) {
  const fromEnv = (key: "password_env" | "bearer_token_env") => {
    const name = section[key];
    if (name === undefined) return undefined;
    const value = env[name];
    if (!value) throw invalid(`${where}.${key} names ${name}, which is not set in the environment`);
    return value;
  };
  const bearerToken = fromEnv("bearer_token_env");
  const password = fromEnv("password_env");
  return {
    url,
    timeoutMs: section.timeout,
    retries: section.retries,
    auth: bearerToken
      ? { bearerToken }
      : section.username !== undefined
        ? { username: section.username, password }
        : undefined,
  };
}
