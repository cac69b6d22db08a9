import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { runRulesTests } from "../monitor/rules-test";
import { parse, UsageError } from "./args";
import type { CliIO } from "./io";

/** `harness rules test FILE…`: per-test results and a final `N passed, M failed`; exit 1 on any failure. */
export async function rulesTestCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { positionals } = parse(rest, {});
  if (sub !== "test" || positionals.length === 0) throw new UsageError("usage: harness rules test FILE...");
  let passed = 0;
  let failed = 0;
  for (const file of positionals) {
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const results = await runRulesTests(readFileSync(file, "utf8"), (p) =>
      readFileSync(isAbsolute(p) ? p : join(dirname(file), p), "utf8"),
    );
    for (const r of results) {
      io.out(`${r.passed ? "PASS" : "FAIL"} ${file}: ${r.name}`);
      for (const f of r.failures) io.out(`  ${f}`);
      if (r.passed) passed++;
      else failed++;
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
