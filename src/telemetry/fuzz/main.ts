/**
 * `bun run fuzz [--inputs 100000] [--seed N]`: the fuzz test's checks at scale against a fresh `harness up`
 * (query.timeout 5 s). Prints the report and exits 1 on any violation; docs/benchmarks.md records the figures.
 */
import { parseArgs } from "node:util";
import { startHarness } from "../../testing/harness-process";
import { fuzz } from "./run";
import { seedFuzzData } from "./seed";

const { values } = parseArgs({
  options: { inputs: { type: "string", default: "100000" }, seed: { type: "string", default: "1" } },
});
const inputs = Number(values.inputs);
const seed = Number(values.seed);
if (!Number.isInteger(inputs) || inputs < 10 || !Number.isInteger(seed)) {
  console.error("harness: --inputs must be an integer of at least 10 and --seed an integer");
  process.exit(2);
}
const h = await startHarness(["query: { timeout: 5s }"]);
try {
  await seedFuzzData(h.base, h.token);
  const report = await fuzz({
    base: h.base,
    token: h.token,
    seed,
    promql: Math.round(inputs * 0.7),
    logql: Math.round(inputs * 0.2),
    bodies: inputs - Math.round(inputs * 0.7) - Math.round(inputs * 0.2),
    concurrency: 8,
    deadlineMs: 5_000,
    onProgress: (line) => console.error(line),
  });
  const { violations, ...summary } = report;
  console.log(JSON.stringify({ seed, inputs, ...summary, violations: violations.length }, null, 2));
  for (const v of violations.slice(0, 20)) console.log(JSON.stringify(v));
  process.exitCode = violations.length ? 1 : 0;
} finally {
  await h.stop();
}
