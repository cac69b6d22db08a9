import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigSchema, loadConfig } from "../config";
import { defaultEvents } from "./model";
import { notifySecrets, notifyTargets, publicUrl } from "./targets";

const notify = (n: unknown) => ConfigSchema.parse({ notify: n }).notify;

describe("notify config", () => {
  test("defaults: no targets, three retries, 10 s timeout, one hour of age; links to the web role", () => {
    const c = ConfigSchema.parse({});
    expect(c.notify).toEqual({
      retries: 3,
      timeout: 10_000,
      max_age: 3_600_000,
      slack: [],
      webhooks: [],
      pagerduty: [],
    });
    expect(notifyTargets(c.notify, {})).toEqual([]);
    expect(publicUrl(c)).toBe("http://127.0.0.1:7070");
    expect(publicUrl({ ...c, notify: { ...c.notify, public_url: "https://h.example.com/" } })).toBe(
      "https://h.example.com",
    );
  });

  test("targets read their secrets from the environment, are named by channel, and hear their defaults", () => {
    const n = notify({
      slack: [{ url_env: "A" }, { url: "https://hooks.slack.com/services/T/B/inline", events: ["failed"] }],
      webhooks: [{ name: "ci", url: "https://ci.example.com/h", secret_env: "W" }],
      pagerduty: [{ routing_key_env: "P" }],
    });
    const env = { A: "https://hooks.slack.com/services/T/B/a", W: "whsec-0123456789", P: "pdkey-0123456789" };
    expect(notifyTargets(n, env).map((t) => [t.name, t.channel, t.url, t.secret, t.events])).toEqual([
      ["slack", "slack", env.A, null, defaultEvents.slack],
      ["slack-2", "slack", "https://hooks.slack.com/services/T/B/inline", null, ["failed"]],
      ["ci", "webhook", "https://ci.example.com/h", env.W, defaultEvents.webhook],
      ["pagerduty", "pagerduty", "https://events.pagerduty.com/v2/enqueue", env.P, defaultEvents.pagerduty],
    ]);
    expect(notifySecrets(n, env).sort()).toEqual(
      [env.A, env.W, env.P, "https://hooks.slack.com/services/T/B/inline"].sort(),
    );
    expect(() => notifyTargets(n, { ...env, A: "not a url" })).toThrow(
      /url_env names A, which does not hold/,
    );
    expect(() => notifyTargets(n, { ...env, W: "" })).toThrow(/notify\.webhooks\[0\]\.secret_env names W/);
  });

  test.each([
    ["both url_env and url", { slack: [{ url_env: "A", url: "https://x" }] }, /notify\.slack\.0\.url_env/],
    ["neither url_env nor url", { slack: [{}] }, /notify\.slack\.0\.url_env/],
    ["a secret written in the file", { webhooks: [{ url: "https://x", secret: "inline" }] }, /secret/],
    [
      "an unknown event",
      { pagerduty: [{ routing_key_env: "P", events: ["paged"] }] },
      /notify\.pagerduty\.0\.events/,
    ],
    [
      "a name used twice",
      { slack: [{ name: "x", url_env: "A" }], webhooks: [{ name: "x", url: "https://y", secret_env: "B" }] },
      /used twice/,
    ],
    [
      "a URL that is not http(s)",
      { webhooks: [{ url: "ftp://y", secret_env: "B" }] },
      /notify\.webhooks\.0\.url/,
    ],
  ] as const)("rejects %s, naming the key", (_name, n, message) => {
    const cwd = mkdtempSync(join(tmpdir(), "harness-notify-cfg-"));
    writeFileSync(join(cwd, "h.yaml"), JSON.stringify({ notify: n }));
    expect(() => loadConfig({ file: "h.yaml", env: {}, cwd })).toThrow(message);
  });

  test("tests in the sandbox may not see a notification secret", () => {
    const cwd = mkdtempSync(join(tmpdir(), "harness-notify-cfg-"));
    writeFileSync(
      join(cwd, "h.yaml"),
      JSON.stringify({
        notify: { pagerduty: [{ routing_key_env: "PD_KEY" }] },
        sandbox: { env: ["PD_KEY"] },
      }),
    );
    expect(() => loadConfig({ file: "h.yaml", env: {}, cwd })).toThrow(/sandbox\.env: PD_KEY holds a secret/);
  });
});
