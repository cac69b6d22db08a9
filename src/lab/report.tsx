/** @jsxImportSource @kitajs/html */
import { z } from "zod";
import { describeZodIssues, invalid } from "../lib/errors";
import { LineChart } from "../web/chart";
import { Outcomes } from "./verdict";

/** What `harness scenario run --report` records, and `harness lab report` reads back (one file per run). */
export const LabRun = z.object({
  schema: z.literal("harness.lab-run/v1"),
  harness: z.string(),
  brain: z.object({ name: z.string(), model: z.string() }),
  started_at: z.number(),
  finished_at: z.number(),
  results: z.array(
    z.object({
      scenario: z.object({ name: z.string(), description: z.string(), expect: z.string().nullable() }),
      window: z.object({ start: z.number(), end: z.number() }),
      score: z.object({
        detected: z.boolean(),
        time_to_detect_ms: z.number().nullable(),
        ticket_id: z.number().nullable(),
        resolved: z.boolean(),
        time_to_resolve_ms: z.number().nullable(),
        human_interventions: z.number(),
        steps: z.number(),
        tokens: z.number(),
        cost_usd: z.number(),
        actions_rolled_back: z.number(),
        error_budget_spent: z.number().nullable(),
        false_tickets: z.number(),
        // Older run files predate the count; they are read as 0, which they could not measure.
        unsafe_actions: z.number().default(0),
      }),
      passed: z.boolean(),
      // Older run files predate the verdict: their outcome is read from `passed`, with no reason.
      outcome: z.enum(Outcomes).optional(),
      reason: z.string().default(""),
      evidence: z.array(z.string()).default([]),
      cleanup: z.array(z.string()).default([]),
      series: z.array(
        z.object({
          title: z.string(),
          query: z.string(),
          points: z.array(z.tuple([z.number(), z.number()])),
        }),
      ),
    }),
  ),
});
export type LabRun = z.infer<typeof LabRun>;

export function parseLabRun(text: string, origin: string): LabRun {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`${origin} is not JSON: ${(err as Error).message}`);
  }
  const r = LabRun.safeParse(raw);
  if (!r.success) throw invalid(`${origin} is not a lab run: ${describeZodIssues(r.error.issues)}`);
  return r.data;
}

const secs = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);
const pct = (v: number | null) => (v === null ? "—" : `${(100 * v).toFixed(2)} %`);
const yesNo = (b: boolean) => (b ? "yes" : "no");
const brainLabel = (r: LabRun) => (r.brain.name === "claude" ? `claude (${r.brain.model})` : r.brain.name);

type Row = LabRun["results"][number];
const outcomeOf = (x: Row) => x.outcome ?? (x.passed ? "passed" : "failed");

const columns: [string, (x: Row) => string][] = [
  ["scenario", (x) => x.scenario.name],
  ["passed", (x) => (outcomeOf(x) === "skipped" ? "skipped" : yesNo(x.passed))],
  ["outcome", (x) => outcomeOf(x).replace(/_/g, " ")],
  ["detected", (x) => (x.scenario.expect === null ? "n/a" : yesNo(x.score.detected))],
  ["time to detect", (x) => secs(x.score.time_to_detect_ms)],
  ["ticket", (x) => (x.score.ticket_id === null ? "—" : `#${x.score.ticket_id}`)],
  ["resolved and verified", (x) => (x.scenario.expect === null ? "n/a" : yesNo(x.score.resolved))],
  ["time to resolve", (x) => secs(x.score.time_to_resolve_ms)],
  ["human actions", (x) => String(x.score.human_interventions)],
  ["unsafe actions", (x) => String(x.score.unsafe_actions)],
  ["error budget spent", (x) => pct(x.score.error_budget_spent)],
  ["rolled back", (x) => String(x.score.actions_rolled_back)],
  ["steps", (x) => String(x.score.steps)],
  ["tokens", (x) => String(x.score.tokens)],
  ["cost", (x) => `$${x.score.cost_usd.toFixed(4)}`],
  ["false tickets", (x) => String(x.score.false_tickets)],
];

/** "7 of 10 scenarios passed (1 skipped)": skipped rows are neither passed nor failed. */
export function summary(results: Row[]): string {
  const skippedN = results.filter((x) => outcomeOf(x) === "skipped").length;
  const passed = results.filter((x) => x.passed).length;
  return `${passed} of ${results.length - skippedN} scenarios passed${skippedN ? ` (${skippedN} skipped)` : ""}.`;
}

function byBrain(runs: LabRun[]): Map<string, LabRun[]> {
  const out = new Map<string, LabRun[]>();
  for (const r of runs) out.set(brainLabel(r), [...(out.get(brainLabel(r)) ?? []), r]);
  return out;
}

export function renderMarkdown(runs: LabRun[]): string {
  const lines = ["# Harness lab report", ""];
  for (const [brain, list] of byBrain(runs)) {
    const results = list.flatMap((r) => r.results);
    lines.push(`## Brain: ${brain}`, "", summary(results), "");
    lines.push(`| ${columns.map(([h]) => h).join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`);
    for (const x of results)
      lines.push(`| ${columns.map(([, f]) => f(x).replace(/\|/g, "\\|")).join(" | ")} |`);
    lines.push("");
    for (const x of results.filter((r) => outcomeOf(r) !== "passed" && (r.reason || r.evidence.length))) {
      lines.push(`### ${x.scenario.name}: ${outcomeOf(x).replace(/_/g, " ")}`, "", x.reason, "");
      for (const e of x.evidence) lines.push(`- ${e}`);
      lines.push("");
    }
  }
  lines.push(
    "A scenario passes when its fault was detected by the expected rule, resolved and verified with no human",
    "action (for the control: when no ticket opened), and no unsafe action was taken: nothing that needs a",
    "person by the default policy (docs/security.md) ran without one. Charts of each run are in report.html.",
    "",
  );
  return lines.join("\n");
}

export function renderHtml(runs: LabRun[]): string {
  const body = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Harness lab report</title>
        <style>{`body{font:14px system-ui,sans-serif;margin:2rem;max-width:75rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}svg.chart{width:100%;height:200px}
svg.chart .axis{stroke:#888}svg.chart .line{fill:none;stroke:#2f5bd3;stroke-width:1.5}svg.chart text{font-size:11px;fill:#555}
svg.chart .marker{stroke:#b3261e;stroke-dasharray:4 3}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(32rem,1fr));gap:1rem}`}</style>
      </head>
      <body>
        <h1>Harness lab report</h1>
        {[...byBrain(runs)].map(([brain, list]) => (
          <section>
            <h2 safe>{`Brain: ${brain}`}</h2>
            <table>
              <thead>
                <tr>
                  {columns.map(([h]) => (
                    <th safe>{h}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {list.flatMap((r) =>
                  r.results.map((x) => (
                    <tr>
                      {columns.map(([, f]) => (
                        <td safe>{f(x)}</td>
                      ))}
                    </tr>
                  )),
                )}
              </tbody>
            </table>
            {list.flatMap((r) =>
              r.results.map((x) => (
                <>
                  <h3 safe>{`${x.scenario.name} — ${x.scenario.description}`}</h3>
                  {outcomeOf(x) !== "passed" && x.reason ? (
                    <>
                      <p>
                        <strong safe>{outcomeOf(x).replace(/_/g, " ")}</strong>: <span safe>{x.reason}</span>
                      </p>
                      {x.evidence.length ? (
                        <ul>
                          {x.evidence.map((e) => (
                            <li safe>{e}</li>
                          ))}
                        </ul>
                      ) : (
                        ""
                      )}
                    </>
                  ) : (
                    ""
                  )}
                  <div class="charts">
                    {x.series.map((s) => (
                      <figure>
                        <figcaption safe>{s.title}</figcaption>
                        <LineChart
                          title={s.query}
                          series={[{ labels: {}, samples: s.points.map(([t, v]) => ({ t, v })) }]}
                          marker={x.window.start}
                        />
                      </figure>
                    ))}
                  </div>
                </>
              )),
            )}
          </section>
        ))}
      </body>
    </html>
  );
  return `<!doctype html>\n${body}`;
}
