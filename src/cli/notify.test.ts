import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakePagerDuty, fakeSlack, fakeWebhook } from "../testing/notify-receivers";
import type { CliIO } from "./io";
import { runCli } from "./run";

const SECRET = "whsec-0123456789abcdef";
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** `harness notify test` in a directory whose harness.yaml names the fakes, secrets in the environment. */
async function setup(opts: { slackFails?: number } = {}) {
  const slack = await fakeSlack(opts.slackFails ?? 0);
  const hook = await fakeWebhook(SECRET);
  const pd = await fakePagerDuty();
  stops.push(slack.stop, hook.stop, pd.stop);
  const dir = mkdtempSync(join(tmpdir(), "harness-notify-"));
  writeFileSync(
    join(dir, "harness.yaml"),
    `notify:
  public_url: https://harness.example.com
  slack: [{ name: ops, url_env: SLACK_URL }]
  webhooks: [{ name: ci, url: ${hook.url}/hook, secret_env: HOOK_SECRET }]
  pagerduty: [{ name: oncall, routing_key_env: PD_KEY, url: ${pd.url}/v2/enqueue }]
`,
  );
  const env = {
    SLACK_URL: `${slack.url}/services/T/B/x`,
    HOOK_SECRET: SECRET,
    PD_KEY: "routing-key-0123456789",
  };
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), env, cwd: dir };
    const code = await runCli(argv, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  return { run, slack, hook, pd, dir };
}

describe("harness notify test", () => {
  test("sends one test message to every target in its own format", async () => {
    const { run, slack, hook, pd } = await setup();
    const res = await run("notify", "test", "--json");
    expect(res.code).toBe(0);
    const results = JSON.parse(res.out) as { target: string; ok: boolean; status: number }[];
    expect(results.map((r) => [r.target, r.ok, r.status])).toEqual([
      ["ops", true, 200],
      ["ci", true, 200],
      ["oncall", true, 202],
    ]);
    expect(slack.received[0]?.json.text).toStartWith("Harness: test message");
    expect(hook.received[0]?.json).toMatchObject({ test: true, event: "needs_human" });
    // PagerDuty's test incident is resolved straight away, under the same key.
    expect(pd.received.map((r) => r.json.event_action)).toEqual(["trigger", "resolve"]);
    expect(pd.received[0]?.json.dedup_key).toBe(pd.received[1]?.json.dedup_key as string);
  });

  test("--target picks one; a failing target is exit 1 with one sentence", async () => {
    const { run, slack, hook } = await setup({ slackFails: 1 });
    const res = await run("notify", "test", "--target", "ops");
    expect(res.code).toBe(1);
    expect(res.out).toContain("FAILED");
    expect(res.err).toBe("harness: 1 of 1 notification targets failed (ops: HTTP 500: internal error)");
    expect(res.err).not.toContain("/services/");
    expect(slack.received).toHaveLength(1);
    expect(hook.received).toHaveLength(0);
  });

  test.each([
    [["notify"], 2, /usage: harness notify test/],
    [["notify", "send"], 2, /unknown notify command "send"/],
    [
      ["notify", "test", "--target", "nope"],
      2,
      /no notification target is named "nope" \(configured: ops, ci, oncall\)/,
    ],
    [["notify", "test", "--bogus"], 2, /bogus/],
  ])("%p exits %i", async (argv, code, message) => {
    const { run } = await setup();
    const res = await run(...(argv as string[]));
    expect(res.code).toBe(code as number);
    expect(`${res.err}${res.out}`).toMatch(message as RegExp);
  });

  test("no targets, or a secret missing from the environment, is exit 1 naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "harness-notify-"));
    const io = (env: Record<string, string>, err: string[]): CliIO => ({
      out: () => {},
      err: (t) => err.push(t),
      env,
      cwd: dir,
    });
    const none: string[] = [];
    expect(await runCli(["notify", "test"], io({}, none))).toBe(1);
    expect(none).toEqual(["harness: no notification targets are configured (notify: in harness.yaml)"]);
    writeFileSync(join(dir, "harness.yaml"), "notify:\n  pagerduty: [{ routing_key_env: PD_KEY }]\n");
    const missing: string[] = [];
    expect(await runCli(["notify", "test"], io({}, missing))).toBe(1);
    expect(missing).toEqual([
      "harness: notify.pagerduty[0].routing_key_env names PD_KEY, which is not set in the environment",
    ]);
  });
});
