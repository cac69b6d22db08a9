import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClaudeBrain } from "./agent/brains/claude";
import { ConfigSchema, defaultClaudeModel, loadConfig } from "./config";
import { createRemoteTelemetry, remoteSecrets } from "./telemetry/remote";

const dir = () => mkdtempSync(join(tmpdir(), "harness-cfg-"));

describe("config", () => {
  test("defaults: loopback, port 7070, ./.harness, runbook-friendly timings", () => {
    const cwd = dir();
    const c = loadConfig({ env: {}, cwd });
    expect(c.server).toEqual({ host: "127.0.0.1", port: 7070 });
    expect(c.dataDir).toBe(join(cwd, ".harness"));
    expect(c.monitor.interval).toBe(10_000);
    expect(c.configFile).toBeNull();
  });

  // Each default is written once, beside its field; a section left out is built from those.
  test.each([
    ["server", { host: "127.0.0.1", port: 7070 }],
    ["data_dir", ".harness"],
    ["token", undefined],
    [
      "monitor",
      {
        interval: 10_000,
        verification_timeout: 600_000,
        max_attempts: 3,
        default_rules: true,
        rule_files: [],
        prune_rules: false,
      },
    ],
    [
      "agent",
      {
        workers: 1,
        brain: "auto",
        fallback: "runbook",
        model: "claude-sonnet-4-6",
        lease: 60_000,
        poll: 2_000,
        max_steps: 30,
        max_tokens: 2_000_000,
        max_cost_usd: 5,
        max_wall: 1_800_000,
      },
    ],
    [
      "service",
      { name: "rate-limiter", enabled: true, instances: 1, port: 7071, test_command: ["bun", "test"] },
    ],
    [
      "query",
      {
        timeout: 120_000,
        max_samples: 50_000_000,
        max_points: 11_000,
        max_length: 0,
        max_regex_length: 32_768,
        max_concurrency: 4,
        max_queued: 64,
        logs: { max_entries: 5_000, max_series: 500, max_length: 721 * 3_600_000 },
      },
    ],
    ["sandbox", { mode: "auto", wall: 300_000, cpu: 600_000, memory_mb: 2048, env: [] }],
    ["deploy", { canary: 120_000, watch: 300_000, budget_floor: 0.05 }],
    ["webhooks", {}],
    ["scrape", { interval: 10_000, timeout: 5_000 }],
    [
      "telemetry",
      {
        metrics: { timeout: 10_000, retries: 2 },
        logs: { timeout: 10_000, retries: 2 },
        queue: { max_samples: 200_000, max_lines: 50_000 },
      },
    ],
  ] as const)("no file: %s has its documented defaults", (key, want) => {
    expect(loadConfig({ env: {}, cwd: dir() })[key]).toEqual(want as never);
  });

  test("one default model: the config's is ClaudeBrain's", () => {
    expect(loadConfig({ env: {}, cwd: dir() }).agent.model).toBe(defaultClaudeModel);
    expect(new ClaudeBrain({ apiKey: "sk-test" }).model).toBe(defaultClaudeModel);
  });

  test("README's Configuration block shows the defaults", () => {
    const readme = readFileSync(join(import.meta.dir, "..", "README.md"), "utf8");
    const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const shown = Bun.YAML.parse(block) as Record<string, Record<string, unknown>>;
    // Values the README gives as examples, not defaults.
    delete shown.token;
    delete shown.webhooks;
    delete shown.monitor?.rule_files;
    delete shown.agent?.policy;
    delete shown.service?.config;
    expect(ConfigSchema.parse(shown)).toEqual(ConfigSchema.parse({}));
  });

  test("file, then environment, then flags", () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, "harness.yaml"),
      "server:\n  port: 8000\nmonitor:\n  interval: 5s\ndata_dir: state\n",
    );
    expect(loadConfig({ env: {}, cwd }).server.port).toBe(8000);
    expect(loadConfig({ env: {}, cwd }).dataDir).toBe(join(cwd, "state"));
    expect(loadConfig({ env: { HARNESS_PORT: "9000" }, cwd }).server.port).toBe(9000);
    expect(loadConfig({ env: { HARNESS_PORT: "9000" }, cwd, flags: { port: 9100 } }).server.port).toBe(9100);
    expect(loadConfig({ env: { HARNESS_DATA_DIR: "/tmp/x" }, cwd }).dataDir).toBe("/tmp/x");
    expect(loadConfig({ env: { HARNESS_TOKEN: "t".repeat(20) }, cwd }).token).toBe("t".repeat(20));
  });

  test.each([
    ["server:\n  port: 99999\n", /server\.port/],
    ["monitor:\n  interval: often\n", /monitor\.interval/],
    ["agent:\n  brian: claude\n", /brian/],
    ["agent:\n  fallback: claude\n", /agent\.fallback/],
    ["- a\n- b\n", /mapping/],
    ["server: [\n", /not valid YAML/],
    ["telemetry:\n  metrics: { url: prometheus:9090 }\n", /telemetry\.metrics\.url/],
    ["telemetry:\n  logs: { password: hunter2 }\n", /password/],
  ])("rejects %p naming the key", (yaml, message) => {
    const cwd = dir();
    writeFileSync(join(cwd, "h.yaml"), yaml);
    expect(() => loadConfig({ file: "h.yaml", env: {}, cwd })).toThrow(message);
  });

  test("bad HARNESS_PORT and a missing file are clear errors", () => {
    expect(() => loadConfig({ env: { HARNESS_PORT: "http" }, cwd: dir() })).toThrow(/HARNESS_PORT/);
    expect(() => loadConfig({ file: "nope.yaml", env: {}, cwd: dir() })).toThrow(/does not exist/);
  });

  test("telemetry: embedded by default; remotes with secrets from the environment, or a clear error", () => {
    const cwd = dir();
    const none = loadConfig({ env: {}, cwd });
    const embedded = createRemoteTelemetry(none, {}, () => {});
    expect([embedded.metrics, embedded.logs, embedded.samples, embedded.lines]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect([embedded.metricsLabel, embedded.logsLabel]).toEqual(["embedded", "embedded"]);
    writeFileSync(
      join(cwd, "harness.yaml"),
      [
        "telemetry:",
        "  metrics: { url: 'https://prom.example/api/prom', username: '123', password_env: GC_TOKEN, retries: 0 }",
        "  logs: { push_url: 'https://logs.example', bearer_token_env: LOKI_TOKEN, timeout: 3s }",
      ].join("\n"),
    );
    const cfg = loadConfig({ env: {}, cwd });
    expect(cfg.telemetry.logs.timeout).toBe(3_000);
    const env = { GC_TOKEN: "glc_abcdef123", LOKI_TOKEN: "loki-bearer-xyz" };
    const remote = createRemoteTelemetry(cfg, env, () => {});
    expect(remote.metrics?.kind).toBe("prometheus");
    expect(remote.logs).toBeNull();
    expect(remote.lines).not.toBeNull();
    expect([remote.metricsLabel, remote.logsLabel]).toEqual([
      "prometheus prom.example",
      "embedded → logs.example",
    ]);
    expect(remoteSecrets(cfg, env).sort()).toEqual(["glc_abcdef123", "loki-bearer-xyz"]);
    expect(() => createRemoteTelemetry(cfg, { LOKI_TOKEN: "x" }, () => {})).toThrow(
      "telemetry.metrics.password_env names GC_TOKEN, which is not set in the environment",
    );
  });
});
