import { afterAll, expect, test } from "bun:test";
import { runScenarioForReport } from "../lab/scenario-runner";
import { scenarios } from "../lab/scenarios";
import { readyForScenarios, startHarness } from "../testing/harness-process";
import { redisAvailable } from "../testing/redis";

const redisUp = await redisAvailable(undefined, "the slow-Redis scenario");

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

test.skipIf(!redisUp)(
  "lab: slow Redis — store errors are detected, the runbook raises the timeout, the fix is verified",
  async () => {
    const h = await startHarness([
      "monitor: { interval: 1s, verification_timeout: 100s, max_attempts: 2, default_rules: true }",
    ]);
    cleanups.push(() => h.stop());
    // The lab restarts the service to move it to Redis; the shipped 30 s `for` keeps that from counting as down.
    await readyForScenarios(h, ["RateLimiterDown"]);
    const slow = scenarios.find((s) => s.name === "slow-redis");
    if (!slow) throw new Error("no slow-redis scenario");
    const result = await runScenarioForReport({ base: h.base, dataDir: h.dir, api: h.api }, slow);
    expect(result.score).toMatchObject({ detected: true, resolved: true, human_interventions: 0 });
    expect(result.score.improvement?.after as number).toBeLessThan(
      result.score.improvement?.before as number,
    );
    const events = (
      await h.api<{ kind: string; data: Record<string, unknown> }[]>(
        `/api/v1/tickets/${result.score.ticket_id}/events`,
      )
    ).data;
    expect(String(events.find((e) => e.kind === "config_change")?.data.reason)).toMatch(
      /store\.timeout_ms 20 → 40/,
    );
    // The lab put the service back on its own store afterwards.
    const instances = (await h.api<{ state: string }[]>("/api/v1/service")).data;
    expect(instances.some((i) => i.state === "ready")).toBe(true);
  },
  300_000,
);
