import { afterAll, expect, test } from "bun:test";
import { runScenarioForReport } from "../lab/scenario-runner";
import { readyForScenarios, startHarness } from "../testing/harness-process";
import { shortenedScenario } from "../testing/scenarios";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The verified value went from above the usual range's top to inside it. */
function expectBackInRange(
  improvement: { before: number | null; after: number | null } | null,
  threshold: number | undefined,
) {
  expect(threshold).toBeNumber();
  expect(improvement?.before).toBeGreaterThan(threshold as number);
  expect(improvement?.after).toBeLessThanOrEqual(threshold as number);
}

async function run(name: string) {
  const h = await startHarness([
    "monitor: { interval: 1s, verification_timeout: 3m, max_attempts: 2, default_rules: false }",
  ]);
  cleanups.push(() => h.stop());
  await readyForScenarios(h);
  const s = shortenedScenario(name);
  const result = await runScenarioForReport({ base: h.base, dataDir: h.dir, api: h.api }, s);
  const id = result.score.ticket_id;
  const ticket = id
    ? (
        await h.api<{ source: string; success_criteria: { comparator: string; threshold: number }[] }>(
          `/api/v1/tickets/${id}`,
        )
      ).data
    : null;
  const events = id
    ? (await h.api<{ kind: string; data: Record<string, unknown> }[]>(`/api/v1/tickets/${id}/events`)).data
    : [];
  return { result, ticket, events };
}

test("lab: a traffic surge is detected by an anomaly detector, explained, and verified once the rate is back", async () => {
  const { result, ticket, events } = await run("traffic-surge");
  const seen = {
    ...result.score,
    passed: result.passed,
    source: ticket?.source,
    criterion: ticket?.success_criteria[0]?.comparator,
    kinds: events.map((e) => e.kind),
  };
  expect(seen).toMatchObject({
    detected: true,
    resolved: true,
    human_interventions: 0,
    passed: true,
    source: "anomaly",
    criterion: "<=",
  });
  // Detected after the surge began, within its limit; the measured value came back under the usual range.
  expect(result.score.time_to_detect_ms).toBeGreaterThanOrEqual(0);
  expect(result.score.time_to_detect_ms).toBeLessThan(120_000);
  expectBackInRange(result.score.improvement, ticket?.success_criteria[0]?.threshold);
}, 400_000);

test("lab: a noisy neighbour's denial jump is detected, attributed to its key from the logs, and verified", async () => {
  const { result, ticket, events } = await run("noisy-neighbour");
  // What the agent said and saw: its turns (the finish summary is one) and the tool results.
  const summaries = events
    .filter((e) => e.kind === "brain_turn" || e.kind === "tool_result")
    .map((e) => JSON.stringify(e.data));
  const seen = { ...result.score, passed: result.passed, source: ticket?.source, summaries };
  expect(seen).toMatchObject({
    detected: true,
    resolved: true,
    human_interventions: 0,
    passed: true,
    source: "anomaly",
  });
  // The runbook read the sampled denial log and named the one key that dominated it; it asked nobody.
  expect(summaries.join("\n")).toMatch(/Noisy neighbour: key \S+/);
  expect(events.some((e) => e.kind === "approval_requested")).toBe(false);
  expectBackInRange(result.score.improvement, ticket?.success_criteria[0]?.threshold);
}, 400_000);
