import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "./app";
import { loadConfig } from "./config";

test("monitor.rule_files are applied at start-up, relative to the config file, pruning when asked", async () => {
  const cwd = mkdtempSync(join(tmpdir(), "harness-app-"));
  writeFileSync(
    join(cwd, "team-rules.yaml"),
    "invariants:\n  - { name: QueueTooLong, query: queue_length > 10, for: 2m, severity: high }\n",
  );
  writeFileSync(
    join(cwd, "harness.yaml"),
    [
      "monitor: { interval: 1h, rule_files: [team-rules.yaml], prune_rules: true }",
      "service: { enabled: false }",
    ].join("\n"),
  );
  const logged: string[] = [];
  const config = loadConfig({ env: {}, cwd });
  const app = await startApp({
    config,
    roles: ["monitor"],
    log: (m, d) => logged.push(`${m} ${JSON.stringify(d)}`),
    env: {},
  });
  try {
    // The shipped defaults were seeded first, then pruned: the file is the only source of rules.
    expect(app.core.rules.listInvariants().map((i) => i.name)).toEqual(["QueueTooLong"]);
    expect(app.core.anomalies.list()).toEqual([]);
    expect(logged.find((l) => l.startsWith("rule files applied"))).toContain("create invariant QueueTooLong");
  } finally {
    await app.stop();
  }
  writeFileSync(
    join(cwd, "harness.yaml"),
    "monitor: { rule_files: [missing.yaml] }\nservice: { enabled: false }\n",
  );
  await expect(
    startApp({ config: loadConfig({ env: {}, cwd }), roles: ["monitor"], log: () => {}, env: {} }),
  ).rejects.toThrow(/missing\.yaml does not exist/);
});
