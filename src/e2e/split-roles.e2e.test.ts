import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditVerify } from "../testing/harness-process";
import { freePort, waitFor } from "../testing/ports";

const root = join(import.meta.dir, "../..");
const procs: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
});

/**
 * `harness web`, `harness monitor` and `harness agent` as three processes over one data directory: they know
 * nothing of each other, and a ticket still goes round the loop through SQLite alone.
 */
test("split roles: the monitor opens a ticket, the agent works it, a person approves on the web, the monitor verifies", async () => {
  const dir = mkdtempSync(join(tmpdir(), "harness-split-"));
  const port = await freePort();
  const token = `split-token-${Math.random().toString(36).slice(2)}-0123456789`;
  writeFileSync(
    join(dir, "harness.yaml"),
    [
      `server: { host: 127.0.0.1, port: ${port} }`,
      "monitor: { interval: 1s, verification_timeout: 60s, max_attempts: 2, default_rules: false }",
      "agent: { poll: 200ms, lease: 30s }",
    ].join("\n"),
  );
  const spawn = (role: string) => {
    const p = Bun.spawn(
      [
        process.execPath,
        join(root, "src/main.ts"),
        role,
        "--data-dir",
        dir,
        "--config",
        join(dir, "harness.yaml"),
      ],
      {
        cwd: dir,
        env: { ...process.env, HARNESS_TOKEN: token, ANTHROPIC_API_KEY: "" },
        stdout: Bun.file(join(dir, `${role}.out`)),
        stderr: Bun.file(join(dir, `${role}.err`)),
      },
    );
    procs.push(p);
    return p;
  };
  // The web first: it applies the migrations the others then find in place.
  spawn("web");
  const base = `http://127.0.0.1:${port}`;
  await waitFor("web healthz", async () => (await fetch(`${base}/healthz`)).ok, 30_000);
  const api = async <T>(path: string, method = "GET", body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as { data: T } };
  };
  spawn("monitor");
  spawn("agent");

  expect(
    (
      await api("/api/v1/invariants", "POST", {
        name: "QueueTooDeep",
        query: 'queue_depth{job="split"} > 10',
        for: "0s",
      })
    ).status,
  ).toBe(201);
  // Samples pushed through the web role land in the metric store the monitor and the agent read.
  let depth = 50;
  const pushing = setInterval(() => {
    void fetch(`${base}/api/v1/import/prometheus`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: `queue_depth{job="split"} ${depth} ${Date.now()}\n`,
    });
  }, 250);
  try {
    type T = { id: number; status: string; source: string };
    const ticket = await waitFor(
      "a ticket opened by the monitor process",
      async () =>
        (await api<{ items: T[] }>("/api/v1/tickets")).json.data.items.find((t) => t.source === "invariant"),
      30_000,
    );
    // No runbook covers this rule: the agent process asks a person, and waits.
    await waitFor(
      "the agent process asks for approval",
      async () => (await api<T>(`/api/v1/tickets/${ticket.id}`)).json.data.status === "awaiting_approval",
      30_000,
    );
    // The person drains the queue, then approves on the web; the agent resumes and finds the criteria hold.
    depth = 0;
    // Wait until the monitor process itself sees the queue drained (its rule state, in the shared database):
    // the web has then flushed the samples out of its head, where the agent process reads them too.
    const db = new Database(join(dir, "harness.db"), { readonly: true });
    await waitFor(
      "the monitor sees the drained queue",
      async () =>
        db
          .query<{ last_value: number }, []>(
            "SELECT last_value FROM rule_state WHERE rule_key = 'invariant:QueueTooDeep'",
          )
          .get()?.last_value === 0,
      30_000,
    );
    db.close();
    expect(
      (await api(`/api/v1/tickets/${ticket.id}/approve`, "POST", { comment: "drained it" })).status,
    ).toBe(200);
    const done = await waitFor(
      "the monitor process verifies the fix",
      async () => {
        const t = (await api<T>(`/api/v1/tickets/${ticket.id}`)).json.data;
        return ["completed", "failed", "cancelled"].includes(t.status) ? t : null;
      },
      60_000,
    );
    const events = (await api<{ kind: string; actor: string }[]>(`/api/v1/tickets/${ticket.id}/events`)).json
      .data;
    expect({ status: done.status, kinds: events.map((e) => `${e.kind}:${e.actor}`) }).toMatchObject({
      status: "completed",
    });
    const actors = new Set(events.map((e) => e.actor));
    // Each process left its own mark: the monitor opened and verified, an agent worker acted, the API approved.
    expect(actors.has("monitor")).toBe(true);
    expect([...actors].some((a) => a.startsWith("agent"))).toBe(true);
    expect(actors.has("api")).toBe(true);
    expect(events.findLast((e) => e.kind === "verification")?.actor).toBe("monitor");
  } finally {
    clearInterval(pushing);
  }
  const audit = auditVerify(dir);
  expect(audit.stdout).toContain("0 problems");
  expect(audit.exitCode).toBe(0);
}, 180_000);
