import { afterAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { slowCommitAnchor, slowCommitLine } from "../lab/bad-deploy";
import { type LabRun, renderHtml, renderMarkdown } from "../lab/report";
import { runScenarioForReport } from "../lab/scenario-runner";
import { scenarios } from "../lab/scenarios";
import { startFakeAnthropic, toolTurn } from "../testing/fake-anthropic";
import { auditVerify, readyForScenarios, startHarness } from "../testing/harness-process";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const use = (id: string, name: string, input: Record<string, unknown>) =>
  toolTurn(id, name, input, { input_tokens: 1_200, output_tokens: 80 });

/**
 * The lab with the claude brain: the same scenario, the model's side played by a local server speaking the
 * Messages API (the real SDK, the real loop and tools), scored like the runbook and reported per brain.
 */
test("lab: the hung-instance scenario with the claude brain is scored and reported per brain", async () => {
  const fake = await startFakeAnthropic([
    use("toolu_1", "service_status", {}),
    use("toolu_2", "restart_service", { reason: "the instance stopped answering scrapes" }),
    use("toolu_3", "finish", { summary: "Restarted the hung instance." }),
  ]);
  cleanups.push(fake.stop);
  const h = await startHarness(
    ["monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: true }"],
    { env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: fake.url } },
  );
  cleanups.push(() => h.stop());
  await readyForScenarios(h);
  const status = (await h.api<{ brain: { name: string; model: string } }>("/api/v1/status")).data;
  expect(status.brain).toMatchObject({ name: "claude", model: "claude-sonnet-4-6" });
  const hung = scenarios.find((s) => s.name === "hung-instance");
  if (!hung) throw new Error("no hung-instance scenario");
  const result = await runScenarioForReport({ base: h.base, dataDir: h.dir, api: h.api }, hung);
  expect(result.passed).toBe(true);
  expect(result.score).toMatchObject({ detected: true, resolved: true, human_interventions: 0, steps: 3 });
  expect(result.score.tokens).toBe(3 * 1_280);
  expect(result.score.cost_usd).toBeGreaterThan(0);
  const run: LabRun = {
    schema: "harness.lab-run/v1",
    harness: h.base,
    brain: { name: status.brain.name, model: status.brain.model },
    started_at: result.window.start,
    finished_at: result.window.end,
    results: [result],
  };
  const md = renderMarkdown([run]);
  expect(md).toContain("## Brain: claude (claude-sonnet-4-6)");
  const artifacts = join(import.meta.dir, "../../test-artifacts/lab-claude");
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, "run.json"), JSON.stringify(run, null, 2));
  writeFileSync(join(artifacts, "report.md"), md);
  writeFileSync(join(artifacts, "report.html"), renderHtml([run]));

  // The same through the CLI: a scenario file of one's own, a report directory, and lab report over runs.
  const custom = join(h.dir, "quiet.yaml");
  writeFileSync(
    custom,
    'name: quiet-minute\ndescription: "Light traffic, nothing else"\nfault: { kind: none, duration: 2s }\nexpect: { rule: null, kind: null }\ndetect_within: 2s\nresolve_within: 0s\n',
  );
  const cli = (...args: string[]) =>
    Bun.spawnSync([process.execPath, join(import.meta.dir, "../main.ts"), ...args], {
      env: { ...process.env, HARNESS_TOKEN: h.token },
      cwd: h.dir,
    });
  const out = join(h.dir, "lab");
  const ran = cli("scenario", "run", "--file", custom, "--url", h.base, "--data-dir", h.dir, "--report", out);
  expect(ran.stderr.toString()).toContain("wrote run.json, report.md and report.html");
  expect(ran.exitCode).toBe(0);
  writeFileSync(join(out, "claude.json"), JSON.stringify(run));
  const combined = cli(
    "lab",
    "report",
    join(out, "run.json"),
    join(out, "claude.json"),
    "--out",
    join(out, "all"),
  );
  expect(combined.stderr.toString()).not.toContain("harness:");
  expect(combined.exitCode).toBe(0);
  const both = await Bun.file(join(out, "all", "report.md")).text();
  expect(both).toContain("| quiet-minute | yes |");
  expect(both).toContain("| hung-instance | yes |");
  expect(cli("lab", "report", join(out, "nope.json"), "--out", out).exitCode).toBe(2);
}, 120_000);

test("lab: a latency regression that only a code change fixes — claude edits, tests and deploys it", async () => {
  // The model's side: revert the out-of-band wait, run the tests, deploy through the pipeline, finish.
  const fake = await startFakeAnthropic([
    use("toolu_1", "edit_file", { path: "src/server.ts", old: slowCommitLine(80), new: slowCommitAnchor }),
    use("toolu_2", "run_tests", {}),
    use("toolu_3", "deploy", { reason: "revert the hotfix that waits on every request" }),
    use("toolu_4", "finish", { summary: "Reverted the wait added to every request; deployed." }),
  ]);
  cleanups.push(fake.stop);
  const h = await startHarness(
    [
      "monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: true }",
      "deploy: { canary: 3s, watch: 2s }",
    ],
    { env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: fake.url } },
  );
  cleanups.push(() => h.stop());
  await readyForScenarios(h);
  const regression = scenarios.find((s) => s.name === "latency-regression");
  if (!regression) throw new Error("no latency-regression scenario");
  const result = await runScenarioForReport({ base: h.base, dataDir: h.dir, api: h.api }, regression);
  expect({ ...result.score, reason: result.reason }).toMatchObject({
    detected: true,
    resolved: true,
    human_interventions: 0,
    steps: 4,
  });
  // Measured: the p99 rule's series count went from violating to none.
  expect(result.score.improvement?.after as number).toBeLessThan(result.score.improvement?.before as number);
  const deploys = (await h.api<{ status: string; ticket_id: number }[]>("/api/v1/deploys")).data;
  expect(deploys).toMatchObject([{ status: "completed", ticket_id: result.score.ticket_id as number }]);
  // The audit trail tells the two changes apart: the fix has its ticket, the "hotfix" has none.
  const audit = auditVerify(h.dir);
  expect(audit.exitCode).not.toBe(0);
  expect(audit.stdout).toContain("Hotfix: wait a little on every request");
}, 240_000);
