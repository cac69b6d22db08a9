import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./config";
import { createRemoteTelemetry, remoteSecrets } from "./telemetry/remote";

const dir = () => mkdtempSync(join(tmpdir(), "harness-cfg-"));

describe("config", () => {
  test("defaults: loopback, port 7070, ./.harness, runbook-friendly timings", () => {
    const cwd = dir();
    const c = loadConfig({ env: {}, cwd });
    expect(c.server).toEqual({ host: "127.0.0.1", port: 7070 });
    expect(c.dataDir).toBe(join(cwd, ".harness"));
    expect(c.monitor.interval).toBe(15_000);
    expect(c.configFile).toBeNull();
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
