import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeAnthropic, toolTurn } from "../testing/fake-anthropic";
import { startHarness } from "../testing/harness-process";
import { waitFor } from "../testing/ports";
import { git } from "../workspace/git";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Processes whose command line contains every needle: what really runs, whatever any harness believes. */
function processes(...needles: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (needles.every((n) => cmdline.includes(n))) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

test("a harness killed in the middle of a deploy restarts into a consistent state", async () => {
  // The agent (Claude through a local Messages API server) edits a file, tests it and deploys; the canary runs 60 s.
  const fake = await startFakeAnthropic([
    toolTurn("toolu_1", "edit_file", {
      path: "NOTES.md",
      new: "A change deployed while the harness dies.\n",
    }),
    toolTurn("toolu_2", "run_tests", {}),
    toolTurn("toolu_3", "deploy", { reason: "ship the note" }),
  ]);
  cleanups.push(fake.stop);
  const yaml = ["deploy: { canary: 60s, watch: 1s, budget_floor: 0 }"];
  const first = await startHarness(yaml, {
    env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: fake.url },
  });
  cleanups.push(() => first.proc.kill("SIGKILL"));
  // Whatever happens, leave no service process behind (a graceful harness stop takes its children along).
  cleanups.push(async () => {
    for (const pid of processes(first.dir)) process.kill(pid, "SIGKILL");
  });
  const workspace = join(first.dir, "workspace", "rate-limiter");
  const worktrees = join(first.dir, "workspace", "worktrees");
  const mainBefore = git(workspace, ["rev-parse", "main"]).stdout.trim();
  await first.api("/api/v1/tickets", {
    method: "POST",
    body: { title: "Ship a note", objective: "Deploy NOTES.md", priority: "P2" },
  });
  // The canary: the ticket's worktree started as an instance called "canary" (cmdline arguments are NUL-separated).
  const canaryNeedles = [worktrees, "--instance\u0000canary"];
  const [canary] = await waitFor(
    "the canary running",
    async () => {
      const pids = processes(...canaryNeedles);
      return pids.length > 0 ? pids : null;
    },
    60_000,
    100,
  );
  const oldInstances = processes(join(workspace, "src", "main.ts"));
  expect(oldInstances.length).toBe(1);

  first.proc.kill("SIGKILL");
  await first.proc.exited;
  // Killed without a word: its children are orphans now, two versions side by side.
  expect(processes(...canaryNeedles)).toContain(canary as number);

  const second = await startHarness(yaml, { dir: first.dir, token: first.token });
  cleanups.push(() => second.stop());
  type Instance = { state: string; version: string; pid: number | null };
  const ready = await waitFor(
    "the service ready again",
    async () =>
      (await second.api<Instance[]>("/api/v1/service")).data.find((i) => i.state === "ready") ?? null,
    30_000,
  );
  // No left-overs: the canary and the old instance were stopped; one version runs, and it is main's.
  expect(processes(...canaryNeedles)).toEqual([]);
  const running = processes(join(workspace, "src", "main.ts"));
  expect(running).toEqual([ready.pid as number]);
  expect(oldInstances.some((p) => running.includes(p))).toBe(false);
  expect(git(workspace, ["rev-parse", "main"]).stdout.trim()).toBe(mainBefore);
  expect(mainBefore.startsWith(ready.version)).toBe(true);
  // The deploy is recorded as failed, not lost, and the ticket says so.
  const db = new Database(join(first.dir, "harness.db"), { readonly: true });
  cleanups.push(() => db.close());
  expect(db.query("SELECT status, stage, reason FROM deploys").all()).toEqual([
    { status: "failed", stage: "canary", reason: "interrupted during canary: the harness stopped" },
  ]);
  const kinds = db
    .query<{ kind: string }, []>("SELECT kind FROM ticket_events ORDER BY id")
    .all()
    .map((e) => e.kind);
  expect(kinds).toContain("deploy_failed");
  expect(await second.stop()).toBe(0);
  expect(processes(join(workspace, "src", "main.ts"))).toEqual([]);
}, 150_000);
