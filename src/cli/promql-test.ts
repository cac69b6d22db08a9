import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { runTestScript } from "../telemetry/promql";

/**
 * `harness promql test FILE...`: runs PromQL test scripts (Prometheus's promqltest format) against the
 * embedded engine. Failures are listed with their line and reason; the exit code is 1 when any case fails.
 */
export async function promqlTestCommand(files: string[], out: (line: string) => void): Promise<number> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let broken = false;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      out(`${file}: cannot read: ${(e as Error).message}`);
      broken = true;
      continue;
    }
    const results = runTestScript(text);
    const p = results.filter((r) => r.status === "passed").length;
    const f = results.filter((r) => r.status === "failed");
    const s = results.filter((r) => r.status === "skipped").length;
    passed += p;
    failed += f.length;
    skipped += s;
    out(`${basename(file)}: ${p} passed, ${f.length} failed, ${s} skipped`);
    for (const r of f) out(`  ${file}:${r.line}: ${r.expr}: ${r.reason ?? "failed"}`);
  }
  out(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 || broken ? 1 : 0;
}
