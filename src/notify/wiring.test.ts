import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../app";
import { loadConfig } from "../config";
import { fakeWebhook } from "../testing/notify-receivers";
import { waitFor } from "../testing/ports";
import { testTicket } from "../testing/tickets";

const SECRET = "whsec-0123456789abcdef";
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

test("the monitor role tells people; a secret missing from the environment stops it starting", async () => {
  const hook = await fakeWebhook(SECRET);
  stops.push(hook.stop);
  const cwd = mkdtempSync(join(tmpdir(), "harness-notify-app-"));
  writeFileSync(
    join(cwd, "harness.yaml"),
    [
      "token: notify-wiring-token-0123456789",
      "monitor: { interval: 1h, default_rules: false }",
      "service: { enabled: false }",
      `notify: { webhooks: [{ name: ci, url: "${hook.url}/hook", secret_env: HOOK_SECRET }] }`,
    ].join("\n"),
  );
  const config = loadConfig({ env: {}, cwd });
  await expect(startApp({ config, roles: ["monitor"], log: () => {}, env: {} })).rejects.toThrow(
    /notify\.webhooks\[0\]\.secret_env names HOOK_SECRET, which is not set/,
  );
  // Only the monitor role sends, so the web role starts without the secret.
  const web = await startApp({
    config: { ...config, server: { ...config.server, port: 0 } },
    roles: ["web"],
    log: () => {},
    env: {},
  });
  expect(web.notifier).toBeNull();
  await web.stop();

  const app = await startApp({ config, roles: ["monitor"], log: () => {}, env: { HOOK_SECRET: SECRET } });
  try {
    const t = testTicket(app.core, { title: "Down", objective: "fix", priority: "P1" });
    await waitFor("the webhook", async () => hook.received.length === 1, 10_000, 50);
    expect(hook.received[0]?.json).toMatchObject({ event: "p1_opened", ticket: { id: t.id } });
    expect(hook.received[0]?.json.ticket).toMatchObject({ url: `http://127.0.0.1:7070/tickets/${t.id}` });
  } finally {
    await app.stop();
  }
});
