import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIO } from "./io";
import { runCli } from "./run";

function cli(dataDir = mkdtempSync(join(tmpdir(), "harness-cli-"))) {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd: dataDir };
    const code = await runCli([...argv, "--data-dir", dataDir], io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  return { run, dataDir };
}

describe("harness CLI", () => {
  test("ticket create, list --json, show, note and cancel", async () => {
    const { run } = cli();
    const created = await run(
      "ticket",
      "create",
      "--title",
      "Check p99",
      "--objective",
      "Compare weeks",
      "--json",
    );
    expect(created.code).toBe(0);
    const t = JSON.parse(created.out);
    expect(t.source).toBe("human");
    const list = await run("ticket", "list", "--json");
    expect(JSON.parse(list.out).map((x: { id: number }) => x.id)).toEqual([t.id]);
    expect((await run("ticket", "note", String(t.id), "--text", "on it")).code).toBe(0);
    const shown = JSON.parse((await run("ticket", "show", String(t.id), "--json")).out);
    expect(shown.events.map((e: { kind: string }) => e.kind)).toEqual(["created", "note"]);
    expect((await run("ticket", "cancel", String(t.id))).code).toBe(0);
    const again = await run("ticket", "cancel", String(t.id));
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^harness: cannot move ticket from cancelled to cancelled/);
  });

  test.each([
    [["ticket", "create", "--title", "x"], 2, /needs --title and --objective/],
    [["ticket", "show", "abc"], 2, /positive integer/],
    [["ticket", "show", "42"], 1, /ticket 42 not found/],
    [["ticket", "list", "--bogus"], 2, /bogus/],
    [["ticket", "approve", "1"], 1, /not found/],
    [["frobnicate"], 2, /unknown command "frobnicate"/],
    [["invariant", "create", "--name", "x", "--query", "up", "--for", "soon"], 1, /for/],
  ])("%p exits %i with a sentence", async (argv, code, message) => {
    const { run } = cli();
    const res = await run(...(argv as string[]));
    expect(res.code).toBe(code as number);
    expect(res.err).toMatch(message as RegExp);
    expect(res.err.split("\n")[0]).toMatch(/^harness: /);
  });

  test("ticket create --criterion gives the ticket checks to verify; a bad one is exit 1 with the syntax", async () => {
    const { run } = cli();
    const created = await run(
      "ticket",
      "create",
      "--title",
      "Check p99",
      "--objective",
      "Confirm p99 latency is under 10ms",
      "--criterion",
      "histogram_quantile(0.99, sum by (le) (rate(ratelimiter_check_duration_seconds_bucket[5m]))) < 0.01 for 5m",
      "--criterion",
      'up{job="rate-limiter"} == 0 empty',
      "--json",
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out).success_criteria).toEqual([
      {
        query: "histogram_quantile(0.99, sum by (le) (rate(ratelimiter_check_duration_seconds_bucket[5m])))",
        comparator: "<",
        threshold: 0.01,
        for_seconds: 300,
      },
      { query: 'up{job="rate-limiter"} == 0', comparator: "empty", for_seconds: 0 },
    ]);
    const bad = await run(
      "ticket",
      "create",
      "--title",
      "t",
      "--objective",
      "o",
      "--criterion",
      "p99 is low",
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^harness: criterion "p99 is low" is not QUERY OP VALUE/);
    // Only a ticket waiting for a person can be sent back.
    const reopen = await run("ticket", "reopen", String(JSON.parse(created.out).id));
    expect(reopen.code).toBe(1);
    expect(reopen.err).toMatch(/only a ticket waiting for a person can be sent back/);
  });

  test("slo and invariant create/list", async () => {
    const { run } = cli();
    const slo = await run(
      "slo",
      "create",
      "--name",
      "availability",
      "--objective",
      "99.5",
      "--total",
      "sum(rate(ratelimiter_requests_total[5m]))",
      "--bad",
      'sum(rate(ratelimiter_http_request_duration_seconds_count{code=~"5.."}[5m]))',
      "--json",
    );
    expect(slo.code).toBe(0);
    expect(JSON.parse(slo.out).objective).toBe(99.5);
    expect(
      (await run("invariant", "create", "--name", "down", "--query", "up == 0", "--severity", "critical"))
        .code,
    ).toBe(0);
    const list = JSON.parse((await run("invariant", "list", "--json")).out);
    expect(list.map((i: { name: string }) => i.name)).toEqual(["down"]);
  });

  test("anomaly and schedule definitions from the command line", async () => {
    const { run } = cli();
    expect(
      (await run("anomaly", "create", "--name", "rate", "--query", "sum(rate(x[5m]))", "--sensitivity", "5"))
        .code,
    ).toBe(0);
    expect(JSON.parse((await run("anomaly", "list", "--json")).out)[0]).toMatchObject({
      name: "rate",
      sensitivity: 5,
    });
    const bad = await run(
      "schedule",
      "create",
      "--name",
      "s",
      "--cron",
      "nope",
      "--title",
      "t",
      "--objective",
      "o",
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cron/);
  });

  test("slo import from Sloth and export of Prometheus rules", async () => {
    const { run, dataDir } = cli();
    const file = join(dataDir, "sloth.yaml");
    writeFileSync(
      file,
      'version: "prometheus/v1"\nservice: rl\nslos:\n  - name: avail\n    objective: 99.5\n    sli:\n      events:\n        error_query: sum(rate(e[{{.window}}]))\n        total_query: sum(rate(t[{{.window}}]))\n',
    );
    const imported = await run("slo", "import", file);
    expect(imported.out).toBe("imported 1 SLO: avail");
    const rules = await run("slo", "export-rules");
    expect(Bun.YAML.parse(rules.out)).toMatchObject({
      groups: [{ name: "harness-slo-avail-recordings" }, { name: "harness-slo-avail-alerts" }],
    });
  });

  test("rules test runs the documented example and ends with N passed, M failed", async () => {
    const { run } = cli();
    const res = await run("rules", "test", join(import.meta.dir, "../../docs/examples/rules.test.yaml"));
    expect(res.code).toBe(0);
    expect(res.out.split("\n").at(-1)).toBe("3 passed, 0 failed");
    expect((await run("rules", "test")).code).toBe(2);
  });

  test("rules plan, apply and export: rule files under version control", async () => {
    const { run, dataDir } = cli();
    const path = join(dataDir, "rules.yaml");
    writeFileSync(
      path,
      "invariants:\n  - { name: TargetDown, query: up == 0, for: 1m, severity: critical }\n",
    );
    const plan = await run("rules", "plan", path);
    expect(plan.out).toBe("+ invariant TargetDown\nplan: 1 to create, 0 to update, 0 to delete, 0 unchanged");
    expect(JSON.parse((await run("invariant", "list", "--json")).out)).toEqual([]);
    expect((await run("rules", "apply", path)).out).toContain("applied: 1 to create");
    expect((await run("rules", "apply", path, "--json")).out).toContain('"action": "unchanged"');
    await run("invariant", "create", "--name", "ByHand", "--query", "x > 1");
    const pruned = await run("rules", "apply", path, "--prune");
    expect(pruned.out).toContain("- invariant ByHand");
    const exported = await run("rules", "export");
    expect(Bun.YAML.parse(exported.out)).toMatchObject({ invariants: [{ name: "TargetDown", for: "1m" }] });
    const bad = await run("rules", "apply", join(dataDir, "missing.yaml"));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("no such file");
  });

  test("scenario list names the faults; run needs a running harness", async () => {
    const { run } = cli();
    expect((await run("scenario", "list", "--json")).out).toContain("hung-instance");
    const res = await run("scenario", "run", "hung-instance", "--url", "http://127.0.0.1:9");
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/no running harness/);
    expect((await run("scenario", "run", "nope")).err).toMatch(/unknown scenario nope/);
    expect((await run("scenario", "run")).err).toMatch(/name a scenario/);
    expect((await run("scenario", "run", "--file", "missing.yaml")).err).toMatch(/no such scenario file/);
  });

  test("a broken config file is reported with the bad key", async () => {
    const { run, dataDir } = cli();
    const file = join(dataDir, "harness.yaml");
    writeFileSync(file, "server:\n  port: lots\n");
    const res = await run("ticket", "list", "--config", file);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/server\.port/);
  });

  test("trajectories export writes JSONL and rejects unknown formats", async () => {
    const { run, dataDir } = cli();
    expect((await run("trajectories", "export", "--format", "csv")).err).toMatch(/unknown format "csv"/);
    expect((await run("trajectories", "export", "--outcome", "great")).code).toBe(1);
    const out = join(dataDir, "t.jsonl");
    const res = await run("trajectories", "export", "--format", "native", "--out", out);
    expect(res.code).toBe(0);
    expect(res.err).toMatch(/exported 0 episodes as native/);
    expect(await Bun.file(out).text()).toBe("");
    const card = join(dataDir, "README.md");
    const hf = await run(
      "trajectories",
      "export",
      "--format",
      "hf",
      "--out",
      join(dataDir, "train.jsonl"),
      "--card",
      card,
    );
    expect(hf.code).toBe(0);
    expect(await Bun.file(card).text()).toContain("0 episodes");
    expect((await run("trajectories", "export", "--format", "native", "--card", card)).code).toBe(2);
    const missing = await run("trajectories", "replay", "t999-a1");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no episode t999-a1/);
  });

  test("promql test runs test scripts and ends with the summary line; failures exit 1", async () => {
    const { run, dataDir } = cli();
    const ok = join(dataDir, "ok.test");
    writeFileSync(
      ok,
      'load 1m\n  m{a="x"} 1+1x5\n\neval instant at 5m m\n  m{a="x"} 6\n\neval instant at 5m sum(m) * 2\n  {} 12\n',
    );
    const good = await run("promql", "test", ok);
    expect(good.code).toBe(0);
    expect(good.out.split("\n").at(-1)).toBe("2 passed, 0 failed, 0 skipped");
    const bad = join(dataDir, "bad.test");
    writeFileSync(bad, "load 1m\n  m 1\n\neval instant at 0m m\n  m 2\n");
    const res = await run("promql", "test", bad);
    expect(res.code).toBe(1);
    expect(res.out).toContain("1 failed");
    expect((await run("promql", "query", "1 + 1", "--json")).out).toContain('"v": 2');
  });

  test("version and help", async () => {
    const { run } = cli();
    expect((await run("version")).out).toMatch(/^harness \d+\.\d+\.\d+/);
    expect((await run("help")).out).toContain("ticket");
  });
});
