import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../config";
import { systemClock } from "../lib/clock";
import { MetricStore } from "../telemetry/metrics/store";
import { instantQuery } from "../telemetry/promql/promql";
import { runTestScript } from "../telemetry/promql/testscript";
import { parse, UsageError } from "./args";
import { type CliIO, printJson } from "./io";

const usage = `usage: harness promql test FILE...          run PromQL test-script files (load/eval) against the embedded engine
       harness promql query 'EXPR' [--time T]   evaluate one expression over the embedded metric store`;

export async function promqlCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    time: { type: "string" },
    verbose: { type: "boolean", short: "v" },
  });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  if (sub === "test") {
    if (positionals.length === 0) throw new UsageError(`promql test needs at least one file\n${usage}`);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const file of positionals) {
      if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
      const results = runTestScript(readFileSync(file, "utf8"));
      const p = results.filter((r) => r.status === "passed").length;
      const f = results.filter((r) => r.status === "failed");
      const s = results.filter((r) => r.status === "skipped").length;
      passed += p;
      failed += f.length;
      skipped += s;
      io.out(`${file}: ${p} passed, ${f.length} failed, ${s} skipped`);
      for (const r of values.verbose ? f : f.slice(0, 20))
        io.out(`  line ${r.line}: ${r.expr}\n    ${r.reason}`);
    }
    io.out(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    return failed === 0 ? 0 : 1;
  }
  if (sub === "query") {
    const expr = positionals[0];
    if (!expr) throw new UsageError(`promql query needs an expression\n${usage}`);
    const config = loadConfig({
      file: values.config,
      env: io.env,
      flags: { dataDir: values["data-dir"] },
      cwd: io.cwd,
    });
    const t = values.time
      ? /^\d+(\.\d+)?$/.test(values.time)
        ? Number(values.time) * 1000
        : Date.parse(values.time)
      : systemClock.now();
    if (Number.isNaN(t))
      throw new UsageError(`--time must be Unix seconds or RFC 3339, got "${values.time}"`);
    const store = new MetricStore(join(config.dataDir, "metrics.db"));
    try {
      printJson(io, instantQuery(store, expr, t));
    } finally {
      store.close();
    }
    return 0;
  }
  throw new UsageError(`unknown promql command "${sub}"\n${usage}`);
}
