import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { runRulesTests } from "../monitor/rules-test";
import { applyRules, exportRules, parseRuleFile, planRules, type RuleChange } from "../rules/rule-files";
import { parse, UsageError } from "./args";
import { type CliIO, printJson } from "./io";
import { openCoreFromFlags } from "./store";

const usage = `usage: harness rules <test|plan|apply|export>
  test FILE...                 rule unit tests (like promtool test rules); exit 1 on any failure
  plan FILE... [--prune]       what apply would change, without changing anything
  apply FILE... [--prune]      make the stored rules match the YAML files (one transaction);
                               --prune also deletes rules the files do not name
  export [--out FILE]          every stored rule as one YAML rule file`;

/** `harness rules …`: rule files under version control, and their unit tests. */
export async function rulesFilesCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { prune: { type: "boolean" }, out: { type: "string" } });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  const files = positionals.map((f) => resolve(io.cwd, f));
  for (const f of files) if (!existsSync(f)) throw new UsageError(`no such file: ${f}`);
  switch (sub) {
    case "test":
      if (files.length === 0) throw new UsageError("usage: harness rules test FILE...");
      return await rulesTest(files, positionals, io);
    case "plan":
    case "apply": {
      if (files.length === 0) throw new UsageError(`usage: harness rules ${sub} FILE... [--prune]`);
      const parsed = files.map((f) => parseRuleFile(readFileSync(f, "utf8"), f));
      const { core } = openCoreFromFlags(io, values);
      const opts = { prune: values.prune === true };
      const changes = sub === "apply" ? applyRules(core, parsed, opts) : planRules(core, parsed, opts);
      if (values.json) printJson(io, changes);
      else report(io, changes, sub === "apply");
      return 0;
    }
    case "export": {
      const { core } = openCoreFromFlags(io, values);
      const yaml = exportRules(core);
      if (values.out) {
        writeFileSync(resolve(io.cwd, values.out), yaml);
        io.out(`wrote ${values.out}`);
      } else io.out(yaml.trimEnd());
      return 0;
    }
    default:
      throw new UsageError(`unknown rules command "${sub}"\n${usage}`);
  }
}

function report(io: CliIO, changes: RuleChange[], applied: boolean): void {
  const sign = { create: "+", update: "~", delete: "-", unchanged: "=" } as const;
  for (const c of changes)
    if (c.action !== "unchanged")
      io.out(`${sign[c.action]} ${c.kind} ${c.name}${c.fields ? ` (${c.fields.join(", ")})` : ""}`);
  const count = (a: RuleChange["action"]) => changes.filter((c) => c.action === a).length;
  io.out(
    `${applied ? "applied" : "plan"}: ${count("create")} to create, ${count("update")} to update, ${count("delete")} to delete, ${count("unchanged")} unchanged`,
  );
}

/** Per-test results and a final `N passed, M failed`; exit 1 on any failure. */
async function rulesTest(files: string[], shown: string[], io: CliIO): Promise<number> {
  let passed = 0;
  let failed = 0;
  for (const [i, file] of files.entries()) {
    const results = await runRulesTests(readFileSync(file, "utf8"), (p) =>
      readFileSync(isAbsolute(p) ? p : join(dirname(file), p), "utf8"),
    );
    for (const r of results) {
      io.out(`${r.passed ? "PASS" : "FAIL"} ${shown[i]}: ${r.name}`);
      for (const f of r.failures) io.out(`  ${f}`);
      if (r.passed) passed++;
      else failed++;
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
