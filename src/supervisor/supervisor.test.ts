import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock, systemClock } from "../lib/clock";
import { freePort, freePortRun, waitFor } from "../testing/ports";
import { createSupervisor, type Supervisor } from "./supervisor";

// A stand-in service workspace: the supervisor is under test here, not the rate limiter.
function workspace(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "harness-sup-"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "main.ts"), body);
  return dir;
}

const healthyService = `
const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
console.log(JSON.stringify({ level: "info", msg: "listening", port }));
console.error("warming up");
const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response("ok") });
process.on("SIGTERM", () => { console.log("bye"); server.stop(); process.exit(0); });
`;

let running: Supervisor | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe("supervisor", () => {
  test("starts instances, captures their output, restarts on purpose and stops them", async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const sup = createSupervisor({
      workspaceDir: workspace(healthyService),
      stateDir: mkdtempSync(join(tmpdir(), "harness-state-")),
      instances: 2,
      // Instance i listens on basePort + i: both ports must be free.
      basePort: await freePortRun(2),
      version: () => "abc123",
      clock: systemClock,
      onLine: (i, s, l) => lines.push(`${i}/${s}: ${l}`),
      onEvent: (i, e) => events.push(`${i}:${e}`),
    });
    running = sup;
    await sup.start();
    await waitFor("both ready", async () => sup.status().every((i) => i.state === "ready"));
    expect(sup.status().map((i) => i.version)).toEqual(["abc123", "abc123"]);
    expect(sup.targets()[1]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await waitFor(
      "stdout and stderr lines",
      async () =>
        lines.some((l) => l.includes("/stderr: warming up")) && lines.some((l) => l.includes('"listening"')),
    );
    const before = sup.status()[0]?.pid;
    await sup.restart("rate-limiter-0");
    await waitFor("restarted ready", async () => sup.status()[0]?.state === "ready");
    expect(sup.status()[0]?.pid).not.toBe(before);
    expect(sup.status()[0]?.restarts).toBe(0);
    const pids = sup.status().map((i) => i.pid as number);
    await sup.stop();
    expect(sup.status().every((i) => i.state === "stopped" && i.pid === null)).toBe(true);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(events).toContain("rate-limiter-0:restarted");
  });

  test("a crashing instance is restarted after a backoff timed by the clock, then marked crash-looping", async () => {
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const clock = new FakeClock();
    const sup = createSupervisor({
      workspaceDir: workspace('console.error("config invalid"); process.exit(3);'),
      stateDir: mkdtempSync(join(tmpdir(), "harness-state-")),
      instances: 1,
      basePort: await freePort(),
      version: () => null,
      clock,
      crashLoopAfter: 3,
      maxBackoffMs: 400,
      onEvent: (_i, event, data) => events.push({ event, data }),
    });
    running = sup;
    const starts = () => events.filter((e) => e.event === "started").length;
    const exits = () => events.filter((e) => e.event !== "started");
    await sup.start();
    // Each exit is real (a child process); each restart waits for the fake clock.
    for (const [n, delay] of [
      [1, 250],
      [2, 400],
    ] as const) {
      await waitFor(`exit ${n}`, async () => exits().length === n, 15_000, 10);
      expect(exits()[n - 1]).toMatchObject({ event: "exited", data: { code: 3, restart_in_ms: delay } });
      clock.advance(delay - 1);
      expect(starts()).toBe(n);
      clock.advance(1);
      expect(starts()).toBe(n + 1);
    }
    await waitFor("exit 3", async () => exits().length === 3, 15_000, 10);
    expect(exits()[2]).toMatchObject({ event: "crash_loop", data: { restarts: 3, restart_in_ms: 400 } });
    expect(sup.status()[0]).toMatchObject({ state: "crash_loop", restarts: 3, last_exit_code: 3 });
    await sup.stop();
    // Stopping cancelled the pending restart.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    expect(starts()).toBe(3);
  });
});

test("children left by a killed harness are stopped before new ones start", async () => {
  const ws = workspace(healthyService);
  const stateDir = mkdtempSync(join(tmpdir(), "harness-state-"));
  const basePort = await freePort();
  const opts = { workspaceDir: ws, stateDir, instances: 1, basePort, version: () => "v", clock: systemClock };
  const crashed = createSupervisor(opts);
  await crashed.start();
  await waitFor("first ready", async () => crashed.status()[0]?.state === "ready");
  const orphan = crashed.status()[0]?.pid as number;
  // The first harness dies without stopping its child (no stop() call).
  const events: string[] = [];
  const withEvents = createSupervisor({ ...opts, onEvent: (_i, e) => events.push(e) });
  running = withEvents;
  await withEvents.start();
  await waitFor("replacement ready", async () => withEvents.status()[0]?.state === "ready");
  expect(() => process.kill(orphan, 0)).toThrow();
  expect(events).toContain("orphan_stopped");
  // The "dead" harness is still an object in this process and would restart its child: stop it for real.
  await crashed.stop();
});
