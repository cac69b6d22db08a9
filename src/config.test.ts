import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./config";

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
  ])("rejects %p naming the key", (yaml, message) => {
    const cwd = dir();
    writeFileSync(join(cwd, "h.yaml"), yaml);
    expect(() => loadConfig({ file: "h.yaml", env: {}, cwd })).toThrow(message);
  });

  test("bad HARNESS_PORT and a missing file are clear errors", () => {
    expect(() => loadConfig({ env: { HARNESS_PORT: "http" }, cwd: dir() })).toThrow(/HARNESS_PORT/);
    expect(() => loadConfig({ file: "nope.yaml", env: {}, cwd: dir() })).toThrow(/does not exist/);
  });
});
