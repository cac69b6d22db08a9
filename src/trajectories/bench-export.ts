// `bun run bench:export`: trajectory exports stream in constant memory. Seeds N worked tickets (each with an
// agent conversation of 6 tool calls), exports them as native JSONL to a sink that only counts bytes, and
// reports the peak heap growth during the export for a small and a large N, measured in the same run.
import { cpus } from "node:os";
import { exportPeak } from "../testing/export-load";

const small = Number(process.env.BENCH_SMALL ?? 1_000);
const large = Number(process.env.BENCH_LARGE ?? 10_000);
const a = exportPeak(small);
const b = exportPeak(large);
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}\n`);
console.log(
  "| episodes | exported | live heap growth during export (after GC, every 1,000) | time |\n|---|---|---|---|",
);
for (const [n, r] of [
  [small, a],
  [large, b],
] as const)
  console.log(
    `| ${n.toLocaleString("en-US")} | ${(r.bytes / 1_048_576).toFixed(1)} MiB | ${r.peakMb.toFixed(1)} MiB | ${(r.ms / 1000).toFixed(1)} s |`,
  );
console.log(
  `\n${large / small}× the episodes and ${(b.bytes / a.bytes).toFixed(1)}× the output kept ${(b.peakMb / Math.max(a.peakMb, 0.1)).toFixed(2)}× the live heap growth (constant memory: about 1×).`,
);
