import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportPrometheusRules } from "../slo/export-rules";
import { testCore } from "../testing/core";
import { defaultSlos, seedDefaultRules } from "./defaults";
import { parseRuleFile, planRules } from "./rule-files";

const shipped = join(import.meta.dir, "../../docs/examples/rate-limiter-rules.yaml");
const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => existsSync(p));

describe("default rules", () => {
  test("the shipped rule file is exactly the defaults a fresh harness seeds", () => {
    const { core } = testCore();
    seedDefaultRules(core);
    const plan = planRules(core, [parseRuleFile(readFileSync(shipped, "utf8"), shipped)], { prune: true });
    expect(plan.filter((c) => c.action !== "unchanged")).toEqual([]);
    expect(plan.length).toBeGreaterThan(10);
  });

  test("both default SLOs exist, with a low-traffic guard, over the check route", () => {
    const { core } = testCore();
    seedDefaultRules(core);
    const slos = core.rules.listSlos();
    expect(slos.map((s) => [s.name, s.objective, s.window, s.min_rate])).toEqual([
      ["rate-limiter-availability", 99.9, "30d", 1],
      ["rate-limiter-latency", 99, "30d", 1],
    ]);
    for (const s of slos) expect(s.sli.total).toContain('route="/v1/check"');
    expect(defaultSlos.length).toBe(2);
  });

  test.skipIf(!promtool)("their exported burn-rate alerts, guard included, pass promtool check rules", () => {
    const { core } = testCore();
    seedDefaultRules(core);
    const yaml = exportPrometheusRules(core.rules.listSlos(), core.rules.listInvariants());
    expect(yaml).toContain("and on() ((sum(increase(ratelimiter_http_request_duration_seconds_count");
    const file = join(mkdtempSync(join(tmpdir(), "rules-")), "rules.yml");
    writeFileSync(file, yaml);
    const r = Bun.spawnSync([promtool as string, "check", "rules", file]);
    expect(r.stdout.toString() + r.stderr.toString()).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.exitCode).toBe(0);
  });
});
