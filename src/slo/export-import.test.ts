import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCore } from "../testing/core";
import { exportPrometheusRules } from "./export-rules";
import { importSlos } from "./import-slo";

const promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => existsSync(p));

describe("SLO import and Prometheus rule export", () => {
  test("Sloth and OpenSLO documents import as SLOs", () => {
    const sloth = `version: "prometheus/v1"
service: "rate-limiter"
slos:
  - name: "checks-availability"
    objective: 99.9
    description: "Checks answered without server errors"
    sli:
      events:
        error_query: sum(rate(ratelimiter_http_request_duration_seconds_count{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(ratelimiter_http_request_duration_seconds_count[{{.window}}]))
`;
    const openslo = `apiVersion: openslo/v1
kind: SLO
metadata: { name: latency }
spec:
  service: rate-limiter
  timeWindow: [{ duration: 28d, isRolling: true }]
  objectives: [{ target: 0.99 }]
  indicator:
    spec:
      ratioMetric:
        good: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(x_bucket{le="0.005"}[{{.window}}]))' } } }
        total: { metricSource: { type: Prometheus, spec: { query: "sum(rate(x_count[{{.window}}]))" } } }
`;
    const slos = importSlos(`${sloth}---\n${openslo}`);
    expect(slos.map((s) => [s.name, s.objective, s.window ?? "30d"])).toEqual([
      ["checks-availability", 99.9, "30d"],
      ["latency", 99, "28d"],
    ]);
    const { core } = testCore();
    for (const s of slos) core.rules.createSlo(s);
    expect(core.rules.listSlos().length).toBe(2);
    expect(() => importSlos("kind: Dashboard\n")).toThrow(/unrecognised/);
  });

  test.skipIf(!promtool)("exported rules pass promtool check rules", () => {
    const { core } = testCore();
    core.rules.createSlo({
      name: "availability",
      objective: 99.9,
      sli: { bad: 'requests_total{code="500"}', total: "requests_total" },
    });
    core.rules.createInvariant({ name: "Down", query: "up == 0", for: "1m", severity: "critical" });
    const yaml = exportPrometheusRules(core.rules.listSlos(), core.rules.listInvariants());
    const file = join(mkdtempSync(join(tmpdir(), "rules-")), "rules.yml");
    writeFileSync(file, yaml);
    const r = Bun.spawnSync([promtool as string, "check", "rules", file]);
    expect(r.stdout.toString() + r.stderr.toString()).toContain("SUCCESS: 13 rules found");
    expect(r.exitCode).toBe(0);
  });
});
