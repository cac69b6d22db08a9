import { trajectoryContext } from "../trajectories/context";
import { exportLines } from "../trajectories/export";
import { testCore } from "./core";
import { testTicket } from "./tickets";

/** N worked tickets, each with an agent conversation of 6 tool calls with 2 kB outputs, written in one go. */
export function seed(n: number) {
  const { core } = testCore();
  const big = "x".repeat(2_000); // tool outputs of realistic size
  core.transaction(() => {
    for (let i = 0; i < n; i++) {
      const t = testTicket(
        core,
        { title: `Ticket ${i}`, objective: "Look at the denials", priority: "P3" },
        "test",
      );
      core.tickets.addEvent(t.id, "status_changed", "w", {
        from: "pending",
        to: "in_progress",
        reason: "claimed",
        attempt: 1,
      });
      for (let s = 0; s < 6; s++) {
        const id = `toolu_${i}_${s}`;
        core.tickets.addEvent(t.id, "brain_turn", "w", {
          content: [{ type: "tool_use", id, name: "query_metrics", input: { query: `up{i="${s}"}` } }],
          stop_reason: "tool_use",
          usage: { input_tokens: 1_000, output_tokens: 50 },
          cost_usd: 0.001,
          model: "claude-sonnet-4-6",
          brain: "claude",
          duration_ms: 900,
        });
        core.tickets.addEvent(t.id, "tool_result", "w", {
          tool_use_id: id,
          name: "query_metrics",
          input: {},
          content: big,
          duration_ms: 3,
        });
      }
      core.tickets.addEvent(t.id, "status_changed", "w", {
        from: "in_progress",
        to: "verifying",
        reason: "finished",
      });
    }
  });
  return core;
}

/** Exports N seeded episodes to a byte counter; the live heap growth is sampled after a GC every 1,000. */
export function exportPeak(n: number): { bytes: number; peakMb: number; ms: number } {
  const core = seed(n);
  Bun.gc(true);
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let bytes = 0;
  let lines = 0;
  const t = performance.now();
  for (const line of exportLines(core, trajectoryContext(), "native", {})) {
    bytes += line.length;
    // Collect first, so the figure is what the export keeps alive, not garbage waiting for the collector.
    if (++lines % 1_000 === 0) {
      Bun.gc(true);
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
  }
  return { bytes, peakMb: peak / 1_048_576, ms: performance.now() - t };
}
