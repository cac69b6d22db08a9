import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, freePortRun, waitFor } from "./ports";

const root = join(import.meta.dir, "../..");

/** A real `harness up` on free ports in a temp directory, with fast test timings. */
export async function startHarness(
  extraYaml: string[] = [],
  opts: { dir?: string; env?: Record<string, string>; token?: string; instances?: number } = {},
) {
  // Reusing a directory restarts a harness on the data a previous one left (tickets, workspace, pid files).
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "harness-proc-"));
  const port = await freePort();
  // Instance i listens on servicePort + i: every one of those ports must be free, not only the first.
  const servicePort = await freePortRun(opts.instances ?? 1);
  const token = opts.token ?? `test-token-${Math.random().toString(36).slice(2)}-0123456789`;
  writeFileSync(
    join(dir, "harness.yaml"),
    [
      `server: { host: 127.0.0.1, port: ${port} }`,
      "monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: false }",
      "agent: { poll: 200ms, lease: 30s }",
      `service: { instances: ${opts.instances ?? 1}, port: ${servicePort} }`,
      "scrape: { interval: 1s, timeout: 500ms }",
      ...extraYaml,
    ].join("\n"),
  );
  const proc = Bun.spawn(
    [
      process.execPath,
      join(root, "src/main.ts"),
      "up",
      "--data-dir",
      dir,
      "--config",
      join(dir, "harness.yaml"),
    ],
    {
      cwd: dir,
      env: { ...process.env, HARNESS_TOKEN: token, ANTHROPIC_API_KEY: "", ...opts.env },
      stdout: Bun.file(join(dir, "harness.out")),
      stderr: Bun.file(join(dir, "harness.err")),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor("harness healthz", async () => (await fetch(`${base}/healthz`)).ok, 30_000);
  const api = async <T>(
    path: string,
    init?: { method?: string; body?: unknown },
  ): Promise<{ status: string; data: T }> => {
    const res = await fetch(`${base}${path}`, {
      method: init?.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(init?.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return (await res.json()) as { status: string; data: T };
  };
  return {
    dir,
    base,
    token,
    proc,
    api,
    async stop(): Promise<number> {
      proc.kill("SIGTERM");
      return await proc.exited;
    },
  };
}

/**
 * For afterAll: SIGTERM, so each harness stops the services it supervises (a failed test must not leave a
 * rate limiter running), then SIGKILL whatever has not exited within `graceMs`.
 */
export async function stopHarnesses(hs: { proc: Subprocess }[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    hs.map(async ({ proc }) => {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await proc.exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * Brings a started harness to the lab's time scale: every invariant's `for` to 0 s (except those named in
 * `keep`, which keep their shipped `for`), then the first scrape.
 */
export async function readyForScenarios(
  h: Awaited<ReturnType<typeof startHarness>>,
  keep: string[] = [],
): Promise<void> {
  for (const inv of (await h.api<{ id: number; name: string }[]>("/api/v1/invariants")).data)
    if (!keep.includes(inv.name))
      await h.api(`/api/v1/invariants/${inv.id}`, { method: "PUT", body: { for: "0s" } });
  await waitFor(
    "first scrape",
    async () =>
      (
        await h.api<{ result: unknown[] }>(
          `/api/v1/query?query=${encodeURIComponent('up{job="rate-limiter"} == 1')}`,
        )
      ).data.result.length > 0,
  );
}

/** `harness audit verify` on a data directory, as a separate process (what an auditor would run). */
export function auditVerify(dataDir: string): { exitCode: number; stdout: string } {
  const r = Bun.spawnSync([
    process.execPath,
    join(root, "src/main.ts"),
    "audit",
    "verify",
    "--data-dir",
    dataDir,
  ]);
  return { exitCode: r.exitCode, stdout: r.stdout.toString() };
}
