import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLoad } from "../lab/load";
import { defaultShape } from "../lab/traffic";
import { startHarness } from "../testing/harness-process";
import { waitFor } from "../testing/ports";

const started: Awaited<ReturnType<typeof startHarness>>[] = [];
afterAll(() => {
  for (const h of started) h.proc.kill("SIGKILL");
});

type Ticket = { id: number; status: string; source: string; title: string };
type Event = { kind: string; actor: string; data: Record<string, unknown> };

/**
 * The loop runs the service on its own through two faults applied from outside (a hung process, then a
 * key-cardinality explosion against a small key capacity): the system opens its own tickets, the runbook
 * agent resolves them, the monitor verifies a measured improvement, and the records say so.
 */
test("autonomy: faults are detected, ticketed, fixed and verified with no human action", async () => {
  const h = await startHarness([
    "monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: true }",
  ]);
  started.push(h);
  const { api, dir } = h;
  // Shorten the shipped rules' `for` durations to the test's time scale.
  const invariants = (await api<{ id: number; name: string }[]>("/api/v1/invariants")).data;
  for (const inv of invariants)
    await api(`/api/v1/invariants/${inv.id}`, { method: "PUT", body: { for: "0s" } });
  type Instance = { pid: number | null; state: string; port: number };
  const ready = await waitFor("instance ready", async () =>
    (await api<Instance[]>("/api/v1/service")).data.find((i) => i.state === "ready"),
  );
  await waitFor(
    "first scrape",
    async () =>
      (
        await api<{ result: unknown[] }>(
          `/api/v1/query?query=${encodeURIComponent('up{job="rate-limiter"} == 1')}`,
        )
      ).data.result.length > 0,
  );

  // Fault 1: the process hangs.
  process.kill(ready.pid as number, "SIGSTOP");
  const hang = await waitFor("hang ticket", async () =>
    (await api<{ items: Ticket[] }>("/api/v1/tickets?source=invariant")).data.items.find((t) =>
      t.title.includes("RateLimiterDown"),
    ),
  );
  await waitFor(
    "hang resolved",
    async () => (await api<Ticket>(`/api/v1/tickets/${hang.id}`)).data.status === "completed",
    60_000,
    250,
  );

  // Fault 2: an operator shrinks the key capacity, then many keys arrive.
  const limits = join(dir, "workspace", "rate-limiter", "limits.yaml");
  writeFileSync(limits, `${readFileSync(limits, "utf8")}store: { max_keys: 40 }\n`);
  const port = (await api<Instance[]>("/api/v1/service")).data[0]?.port as number;
  await Bun.sleep(1500); // hot reload
  await runLoad(
    `http://127.0.0.1:${port}`,
    { ...defaultShape, rate: 200, durationMs: 1500, keys: 500, zipf: 0.2, abusiveShare: 0 },
    3,
  );
  const headroom = await waitFor(
    "headroom ticket",
    async () =>
      (await api<{ items: Ticket[] }>("/api/v1/tickets?source=invariant")).data.items.find((t) =>
        t.title.includes("KeyHeadroomLow"),
      ),
    30_000,
  );
  await waitFor(
    "headroom resolved",
    async () => (await api<Ticket>(`/api/v1/tickets/${headroom.id}`)).data.status === "completed",
    60_000,
    250,
  );

  // The records, not the logs: measured improvement, no human action, a traceable change, every episode exported.
  for (const t of [hang, headroom]) {
    const events = (await api<Event[]>(`/api/v1/tickets/${t.id}/events`)).data;
    const v = events.find((e) => e.kind === "verification")?.data as {
      result: string;
      before: { value: number }[];
      after: { value: number }[];
    };
    expect(v.result).toBe("passed");
    expect(v.after[0]?.value as number).toBeLessThan(v.before[0]?.value as number);
    expect(events.every((e) => !/^(cli|api|dashboard)/.test(e.actor))).toBe(true);
  }
  const headroomEvents = (await api<Event[]>(`/api/v1/tickets/${headroom.id}/events`)).data;
  expect(headroomEvents.find((e) => e.kind === "config_change")?.data.commit).toBeTruthy();
  const exported = await (
    await fetch(`${h.base}/api/v1/trajectories/export?format=native&source=invariant`)
  ).text();
  const episodes = exported
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { ticket_id: number; outcome: string });
  for (const t of [hang, headroom])
    expect(episodes.some((e) => e.ticket_id === t.id && e.outcome === "completed")).toBe(true);
  expect(await h.stop()).toBe(0);
  const audit = Bun.spawnSync([
    process.execPath,
    join(import.meta.dir, "../main.ts"),
    "audit",
    "verify",
    "--data-dir",
    dir,
  ]);
  expect(audit.stdout.toString()).toContain("0 problems");
  expect(audit.exitCode).toBe(0);
}, 180_000);
