import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../config";
import { runScenario, type ScenarioScore } from "../lab/scenario-runner";
import { scenarios } from "../lab/scenarios";
import { parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";

const usage = `usage: harness scenario list
       harness scenario run NAME|--all [--url URL] [--json]
  Applies a fault to a running "harness up" (same data directory) and scores what the system did alone.`;

export async function scenarioCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { url: { type: "string" }, all: { type: "boolean" } });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  if (sub === "list") {
    if (values.json) printJson(io, scenarios);
    else
      io.out(
        table(
          scenarios.map((s) => ({
            name: s.name,
            detects: s.expect.rule ?? "(nothing)",
            description: s.description,
          })),
          ["name", "detects", "description"],
        ),
      );
    return 0;
  }
  if (sub !== "run") throw new UsageError(`unknown scenario command "${sub}"\n${usage}`);
  const chosen = values.all ? scenarios : scenarios.filter((s) => positionals.includes(s.name));
  if (chosen.length === 0)
    throw new UsageError(`name a scenario (${scenarios.map((s) => s.name).join(", ")}) or pass --all`);
  const config = loadConfig({
    file: values.config,
    env: io.env,
    flags: { dataDir: values["data-dir"] },
    cwd: io.cwd,
  });
  const base = values.url ?? `http://${config.server.host}:${config.server.port}`;
  const tokenFile = join(config.dataDir, "token");
  const token = config.token ?? (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "");
  const alive = await fetch(`${base}/healthz`).catch(() => null);
  if (!alive?.ok)
    throw new UsageError(`no running harness answers at ${base} (start "harness up" first, or pass --url)`);
  const api = async <T>(path: string, init?: { method?: string; body?: unknown }) => {
    const res = await fetch(`${base}${path}`, {
      method: init?.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(init?.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return (await res.json()) as { status: string; data: T };
  };
  const scores: ScenarioScore[] = [];
  for (const s of chosen) {
    io.err(`running ${s.name}: ${s.description}`);
    scores.push(await runScenario({ base, dataDir: config.dataDir, api }, s));
  }
  if (values.json) printJson(io, scores);
  else
    io.out(
      table(scores as unknown as Record<string, unknown>[], [
        "scenario",
        "detected",
        "time_to_detect_ms",
        "resolved",
        "time_to_resolve_ms",
        "human_interventions",
        "false_tickets",
      ]),
    );
  const failed = scores.filter((s, i) =>
    chosen[i]?.expect.rule === null ? s.false_tickets > 0 : !s.resolved || s.human_interventions > 0,
  );
  return failed.length === 0 ? 0 : 1;
}
