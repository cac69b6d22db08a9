import { loadConfig } from "../config";
import { runLoad } from "../lab/load";
import { defaultShape } from "../lab/traffic";
import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { parse, UsageError } from "./args";
import { type CliIO, printJson } from "./io";

const usage = `usage: harness load [--url URL] [--rate N] [--duration 30s] [--keys N] [--zipf S] [--abusive SHARE]
                    [--seed N] [--json]
  Realistic clients against the rate limiter: Zipf-popular keys, a day curve compressed into the run,
  periodic bursts and a share of abusive clients. Prints a progress line a second, then a summary.`;

export async function loadCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(argv, {
    url: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    keys: { type: "string" },
    zipf: { type: "string" },
    abusive: { type: "string" },
    seed: { type: "string" },
  });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const num = (v: string | undefined, name: string, fallback: number, min = 0) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new UsageError(`--${name} must be a number ≥ ${min}, got "${v}"`);
    return n;
  };
  const config = loadConfig({
    file: values.config,
    env: io.env,
    flags: { dataDir: values["data-dir"] },
    cwd: io.cwd,
  });
  const url = values.url ?? `http://127.0.0.1:${config.service.port}`;
  let durationMs = defaultShape.durationMs;
  try {
    if (values.duration) durationMs = parseDuration(values.duration);
  } catch {
    throw new UsageError(`--duration must be a duration such as 30s or 5m, got "${values.duration}"`);
  }
  const shape = {
    ...defaultShape,
    rate: num(values.rate, "rate", defaultShape.rate, 1),
    durationMs,
    keys: Math.round(num(values.keys, "keys", defaultShape.keys, 1)),
    zipf: num(values.zipf, "zipf", defaultShape.zipf),
    abusiveShare: num(values.abusive, "abusive", defaultShape.abusiveShare),
  };
  if (shape.abusiveShare > 1) throw new UsageError("--abusive is a share between 0 and 1");
  const seed = Math.round(num(values.seed, "seed", systemClock.now() % 100_000));
  const probe = await fetch(`${url}/healthz`).catch(() => null);
  if (!probe?.ok)
    throw new UsageError(`no rate limiter answers at ${url} (start one with harness up, or pass --url)`);
  const report = await runLoad(url, shape, seed, (line) => io.err(line));
  if (values.json) printJson(io, report);
  else
    io.out(
      `sent ${report.sent}: ${report.allowed} allowed, ${report.denied} denied (${report.abusive_denied} abusive), ${report.errors} errors; p50 ${report.p50_ms} ms, p99 ${report.p99_ms} ms; seed ${report.seed}`,
    );
  return report.errors > 0 ? 1 : 0;
}
