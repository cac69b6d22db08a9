import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LabRun, renderHtml, renderMarkdown } from "../lab/report";
import { runScenarioForReport, type ScenarioScore } from "../lab/scenario-runner";
import { scenarios } from "../lab/scenarios";
import { auditVerify, readyForScenarios, startHarness, stopHarnesses } from "../testing/harness-process";
import { waitFor } from "../testing/ports";

const started: Awaited<ReturnType<typeof startHarness>>[] = [];
afterAll(() => stopHarnesses(started), 30_000);

const scenario = (name: string) => {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
};

/**
 * The loop runs the service on its own through faults applied from outside: the system opens its own
 * tickets, the runbook agent resolves them, the monitor verifies a measured improvement, and the records,
 * not the logs, say so.
 */
test("autonomy: scenarios are detected, ticketed, fixed and verified with no human action", async () => {
  const h = await startHarness([
    "monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: true }",
    "deploy: { canary: 3s, watch: 2s }",
  ]);
  started.push(h);
  const handle = { base: h.base, dataDir: h.dir, api: h.api };
  // The shipped rules' `for` durations, shortened to the test's time scale.
  await readyForScenarios(h);

  const scores: ScenarioScore[] = [];
  const run: LabRun = {
    schema: "harness.lab-run/v1",
    harness: h.base,
    brain: { name: "runbook", model: "runbook-v1" },
    started_at: Date.now(),
    finished_at: 0,
    results: [],
  };
  for (const name of [
    "no-fault-control",
    "hung-instance",
    "key-cardinality-explosion",
    "crash-loop-after-bad-config",
    "bad-deploy",
  ]) {
    const result = await runScenarioForReport(handle, scenario(name));
    run.results.push(result);
    scores.push(result.score as ScenarioScore);
    await waitFor(
      "an instance ready again",
      async () => (await h.api<{ state: string }[]>("/api/v1/service")).data.some((i) => i.state === "ready"),
      20_000,
    );
  }
  const [control, hang, keys] = scores as [ScenarioScore, ScenarioScore, ScenarioScore];
  // The lab report of this run, with the curves read back from the harness's own metrics.
  run.finished_at = Date.now();
  const artifacts = join(import.meta.dir, "../../test-artifacts/lab-runbook");
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, "run.json"), JSON.stringify(run, null, 2));
  writeFileSync(join(artifacts, "report.md"), renderMarkdown([run]));
  writeFileSync(join(artifacts, "report.html"), renderHtml([run]));
  expect(run.results.map((r) => [r.scenario.name, r.passed])).toEqual([
    ["no-fault-control", true],
    ["hung-instance", true],
    ["key-cardinality-explosion", true],
    ["crash-loop-after-bad-config", true],
    ["bad-deploy", true],
  ]);
  const hangUp = run.results[1]?.series.find((s) => s.title === "instances up")?.points ?? [];
  // The chart shows the fault: the instance counted up, then down while hung.
  const firstDown = hangUp.findIndex(([, v]) => v === 0);
  expect(firstDown).toBeGreaterThan(0);
  expect(hangUp.slice(0, firstDown).some(([, v]) => v === 1)).toBe(true);
  expect(control.false_tickets).toBe(0);
  // (2) At least three system tickets completed with a measured improvement (after < before).
  const crash = scores[3] as ScenarioScore;
  for (const s of [hang, keys, crash]) {
    expect([s.scenario, s.detected, s.resolved, s.human_interventions]).toEqual([s.scenario, true, true, 0]);
    expect(s.improvement?.after as number).toBeLessThan(s.improvement?.before as number);
  }
  const keyEvents = (
    await h.api<{ kind: string; data: Record<string, unknown> }[]>(`/api/v1/tickets/${keys.ticket_id}/events`)
  ).data;
  // The runbook restores the committed limits the operator's edit replaced (the last known good file), so the
  // change is recorded; it needs no new commit, as the file is the committed one again.
  expect(keyEvents.find((e) => e.kind === "config_change")).toBeTruthy();
  // (1) No human action on any ticket the system opened, in the whole run.
  const all = (await h.api<{ items: { id: number; source: string }[] }>("/api/v1/tickets?limit=500")).data
    .items;
  const systemTickets = all.filter((t) => t.source !== "human");
  expect(systemTickets.length).toBeGreaterThanOrEqual(3);
  for (const t of systemTickets) {
    const events = (await h.api<{ actor: string }[]>(`/api/v1/tickets/${t.id}/events`)).data;
    expect([t.id, events.filter((e) => /^(cli|api|dashboard)/.test(e.actor)).length]).toEqual([t.id, 0]);
  }
  // (3) Each cycle reads on its ticket page: observation → agent steps → verification with before/after.
  for (const s of [hang, keys, crash]) {
    const page = await (
      await fetch(`${h.base}/tickets/${s.ticket_id}`, { headers: { authorization: `Bearer ${h.token}` } })
    ).text();
    for (const part of ["Observation", "brain_turn", "tool_result", "verification", "completed"])
      expect([s.scenario, part, page.includes(part)]).toEqual([s.scenario, part, true]);
  }
  // (5) The export holds every episode of every ticket of the run.
  const exported = await (await fetch(`${h.base}/api/v1/trajectories/export?format=native`)).text();
  const episodes = exported
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { ticket_id: number; outcome: string });
  for (const t of all) expect(episodes.some((e) => e.ticket_id === t.id)).toBe(true);
  for (const s of [hang, keys, crash])
    expect(episodes.some((e) => e.ticket_id === s.ticket_id && e.outcome === "completed")).toBe(true);
  expect(await h.stop()).toBe(0);
  const audit = auditVerify(h.dir);
  expect(audit.stdout).toContain("0 problems");
  expect(audit.exitCode).toBe(0);
}, 300_000);
