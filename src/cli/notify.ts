import { loadConfig } from "../config";
import { systemClock } from "../lib/clock";
import { AppError } from "../lib/errors";
import { notifyTargets, publicUrl } from "../notify/targets";
import { sendTestMessages } from "../notify/test-send";
import { parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";

const usage = `usage: harness notify test [--target NAME] [--json]
  test    send a test message to each target under notify: in harness.yaml (or the one named)`;

export async function notifyCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { target: { type: "string" } });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  if (sub !== "test") throw new UsageError(`unknown notify command "${sub}"\n${usage}`);
  if (positionals.length > 0) throw new UsageError(`notify test takes no arguments, got "${positionals[0]}"`);
  const config = loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  const all = notifyTargets(config.notify, io.env);
  if (all.length === 0)
    throw new AppError("invalid", "no notification targets are configured (notify: in harness.yaml)");
  const targets = values.target === undefined ? all : all.filter((t) => t.name === values.target);
  if (targets.length === 0)
    throw new UsageError(
      `no notification target is named "${values.target}" (configured: ${all.map((t) => t.name).join(", ")})`,
    );
  const results = await sendTestMessages(targets, publicUrl(config), {
    clock: systemClock,
    timeoutMs: config.notify.timeout,
  });
  if (values.json) printJson(io, results);
  else
    io.out(
      table(
        results.map((r) => ({
          ...r,
          result: r.ok ? "ok" : "FAILED",
          status: r.status,
          answer: r.error ?? "",
        })),
        ["target", "channel", "result", "status", "duration_ms", "answer"],
      ),
    );
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return 0;
  const first = failed[0] as (typeof failed)[number];
  throw new AppError(
    "unavailable",
    `${failed.length} of ${results.length} notification targets failed (${first.target}: ${first.error})`,
  );
}
