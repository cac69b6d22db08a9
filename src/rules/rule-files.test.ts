import { describe, expect, test } from "bun:test";
import { testCore } from "../testing/core";
import { applyRules, exportRules, parseRuleFile, planRules } from "./rule-files";

const file = (text: string) => parseRuleFile(text, "rules.yaml");

const base = file(`
invariants:
  - name: TargetDown
    query: up == 0
    for: 1m
    severity: critical
  - name: StoreErrors
    language: logql
    query: sum(count_over_time({service="rate-limiter"} |= "store error" [5m])) > 3
slos:
  - name: availability
    objective: 99.9
    window: 30d
    sli: { bad: 'sum(rate(errors_total[{{window}}]))', total: 'sum(rate(requests_total[{{window}}]))' }
anomalies:
  - name: rate
    query: sum(rate(requests_total[5m]))
schedules:
  - name: weekly
    cron: "0 9 * * 1"
    title: Weekly review
    objective: Compare this week's p99 with last week's
`);

describe("rule files", () => {
  test("apply creates, then is a no-op; an edit is an update naming its fields; durations compare by value", () => {
    const { core } = testCore();
    expect(applyRules(core, [base]).map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      "create slo availability",
      "create invariant TargetDown",
      "create invariant StoreErrors",
      "create anomaly rate",
      "create schedule weekly",
    ]);
    expect(core.rules.listInvariants().find((i) => i.name === "StoreErrors")?.language).toBe("logql");
    expect(planRules(core, [base]).every((c) => c.action === "unchanged")).toBe(true);
    const edited = file(
      Bun.YAML.stringify(base).replace("for: 1m", "for: 60s").replace("severity: critical", "severity: high"),
    );
    const plan = planRules(core, [edited]);
    expect(plan.filter((c) => c.action !== "unchanged")).toEqual([
      {
        kind: "invariant",
        name: "TargetDown",
        id: expect.any(Number),
        action: "update",
        fields: ["severity"],
      },
    ]);
    applyRules(core, [edited]);
    expect(core.rules.listInvariants().find((i) => i.name === "TargetDown")?.severity).toBe("high");
  });

  test("an anomaly detector's min_change and for are managed too; for compares by value", () => {
    const { core } = testCore();
    const detector = (extra: string) =>
      file(`anomalies:\n  - name: denials\n    query: deny_ratio\n    min_change: 0.05\n${extra}`);
    applyRules(core, [detector("    for: 30s\n")]);
    expect(core.anomalies.list()[0]).toMatchObject({ min_change: 0.05, for: "30s", for_ms: 30_000 });
    expect(planRules(core, [detector("    for: 30000ms\n")])[0]?.action).toBe("unchanged");
    const plan = planRules(core, [detector("    for: 1m\n")]);
    expect(plan[0]).toMatchObject({ action: "update", fields: ["for"] });
    const raised = file(Bun.YAML.stringify(detector("    for: 30s\n")).replace("0.05", "0.1"));
    expect(planRules(core, [raised])[0]).toMatchObject({ action: "update", fields: ["min_change"] });
    applyRules(core, [raised]);
    expect(core.anomalies.list()[0]?.min_change).toBe(0.1);
    expect(exportRules(core)).toContain("min_change: 0.1");
  });

  test("prune deletes rules the files no longer name; without it they stay", () => {
    const { core } = testCore();
    applyRules(core, [base]);
    core.rules.createInvariant({ name: "AddedByHand", query: "x > 1" });
    const only = file(
      "invariants:\n  - name: TargetDown\n    query: up == 0\n    for: 1m\n    severity: critical\n",
    );
    expect(planRules(core, [only]).filter((c) => c.action === "delete")).toEqual([]);
    const pruned = applyRules(core, [only], { prune: true });
    expect(
      pruned
        .filter((c) => c.action === "delete")
        .map((c) => `${c.kind} ${c.name}`)
        .sort(),
    ).toEqual([
      "anomaly rate",
      "invariant AddedByHand",
      "invariant StoreErrors",
      "schedule weekly",
      "slo availability",
    ]);
    expect(core.rules.listInvariants().map((i) => i.name)).toEqual(["TargetDown"]);
  });

  test("export writes what apply reads: a round trip changes nothing", () => {
    const a = testCore().core;
    applyRules(a, [base]);
    const yaml = exportRules(a);
    const b = testCore().core;
    applyRules(b, [file(yaml)]);
    expect(exportRules(b)).toBe(yaml);
    expect(planRules(a, [file(yaml)]).every((c) => c.action === "unchanged")).toBe(true);
  });

  test.each([
    ["invariants:\n  - name: a\n    query: ''\n", /invariants\.0\.query/],
    ["invariants:\n  - name: a\n    query: x\n    for: soon\n", /invariants\.0\.for/],
    ["slos: {}\n", /slos/],
    ["alerts: []\n", /alerts/],
    ["invariants: [\n", /not valid YAML/],
  ])("a bad file is rejected naming the field: %p", (text, message) => {
    expect(() => file(text)).toThrow(message);
  });

  test("a name defined twice, in one file or across files, is an error and nothing is applied", () => {
    const { core } = testCore();
    const twice = file("invariants:\n  - { name: a, query: x > 1 }\n  - { name: a, query: y > 1 }\n");
    expect(() => applyRules(core, [twice])).toThrow(/defined twice/);
    const good = file("slos: []\ninvariants:\n  - { name: b, query: x > 1 }\n");
    const clash = file("invariants:\n  - { name: b, query: y > 1 }\n");
    expect(() => applyRules(core, [good, clash])).toThrow(/defined twice/);
    expect(core.rules.listInvariants()).toEqual([]);
  });
});

describe("deleting a rule", () => {
  test("drops the monitor's state for it, so a rule created again under that name starts fresh", () => {
    const { core } = testCore();
    const inv = core.rules.createInvariant({ name: "Down", query: "up == 0", for: "1m", severity: "high" });
    const det = core.anomalies.create({ name: "Rate", query: "sum(rate(x[5m]))" });
    for (const key of ["invariant:Down", "anomaly:Rate", "invariant:Other"])
      core.ruleStates.put({ ...core.ruleStates.get(key), pending_since: 1, last_eval_at: 2 });
    core.rules.deleteInvariant(inv.id);
    core.anomalies.delete(det.id);
    expect(core.ruleStates.all().map((r) => r.rule_key)).toEqual(["invariant:Other"]);
  });
});
