import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../config";
import { takeSlate } from "../lab/isolation";
import { type LabRun, parseLabRun, renderHtml, renderMarkdown } from "../lab/report";
import { runScenarioForReport } from "../lab/scenario-runner";
import { parseScenario, type Scenario, scenarios } from "../lab/scenarios";
import { systemClock } from "../lib/clock";
import { parseDuration } from "../lib/duration";
import { parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";

const usage = `usage: harness scenario list
       harness scenario run NAME...|--all|--file FILE.yaml [--url URL] [--report DIR] [--soak DURATION] [--json]
  Applies a fault to a running "harness up" (same data directory) and scores what the system did alone.
  --report DIR writes DIR/run.json, DIR/report.md and DIR/report.html (tables and charts); --all always
  writes one (in DATA_DIR/lab/TIME without --report). Each scenario starts from the same slate: the tickets it
  opened are cancelled, its rules deleted and the limits file restored before the next one.
  --soak 24h repeats the scenarios until the time is up, one DIR/run-N.json per round, the report over all.
       harness lab report RUN.json... --out DIR
  One report over several runs (e.g. one per brain): a table per brain, charts per scenario.`;

export async function scenarioCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    url: { type: "string" },
    all: { type: "boolean" },
    file: { type: "string", multiple: true },
    report: { type: "string" },
    soak: { type: "string" },
  });
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
  const fromFiles = (values.file ?? []).map((f) => {
    const path = resolve(io.cwd, f);
    if (!existsSync(path)) throw new UsageError(`no such scenario file: ${f}`);
    return parseScenario(readFileSync(path, "utf8"), f);
  });
  const unknown = positionals.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length)
    throw new UsageError(`unknown scenario ${unknown.join(", ")}; see "harness scenario list"`);
  const chosen: Scenario[] = [
    ...(values.all ? scenarios : scenarios.filter((s) => positionals.includes(s.name))),
    ...fromFiles,
  ];
  if (chosen.length === 0)
    throw new UsageError(
      `name a scenario (${scenarios.map((s) => s.name).join(", ")}), pass --all or --file`,
    );
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
  const status = (await api<{ brain?: { name: string; model: string } }>("/api/v1/status")).data;
  const soakUntil = values.soak ? systemClock.now() + parseDuration(values.soak) : 0;
  if (values.soak && !values.report) throw new UsageError("--soak needs --report DIR to keep each round");
  // A run over every scenario always leaves a report, written after each scenario so that even an
  // interrupted run has one: in --report DIR, else under the data directory.
  const reportDir = values.report
    ? resolve(io.cwd, values.report)
    : values.all
      ? join(config.dataDir, "lab", new Date(systemClock.now()).toISOString().replace(/[:.]/g, "-"))
      : null;
  const handle = { base, dataDir: config.dataDir, api };
  // Each scenario starts from the slate taken here: tickets, its rules and the limits file (isolation.ts).
  const slate = takeSlate(handle);
  const rounds: LabRun[] = [];
  let run: LabRun;
  do {
    run = {
      schema: "harness.lab-run/v1",
      harness: base,
      brain: status.brain
        ? { name: status.brain.name, model: status.brain.model }
        : { name: "unknown", model: "unknown" },
      started_at: systemClock.now(),
      finished_at: 0,
      results: [],
    };
    for (const s of chosen) {
      io.err(`${values.soak ? `round ${rounds.length + 1}: ` : ""}running ${s.name}: ${s.description}`);
      const result = await runScenarioForReport(handle, s, slate);
      run.results.push(result);
      io.err(`  ${verdictLine(result)}`);
      for (const e of result.outcome === "passed" ? [] : result.evidence) io.err(`    ${e}`);
      if (reportDir && !values.soak) {
        run.finished_at = systemClock.now();
        writeReport(reportDir, [run], run, null);
      }
    }
    run.finished_at = systemClock.now();
    rounds.push(run);
    if (values.soak && reportDir) {
      mkdirSync(reportDir, { recursive: true });
      writeFileSync(join(reportDir, `run-${rounds.length}.json`), `${JSON.stringify(run, null, 2)}\n`);
      writeReport(reportDir, rounds, null, io);
    }
  } while (systemClock.now() < soakUntil);
  if (reportDir && !values.soak) writeReport(reportDir, [run], run, io);
  const all = rounds.flatMap((r) => r.results);
  if (values.json) printJson(io, all);
  else
    io.out(
      table(
        all.map((r) => ({ scenario: r.scenario.name, passed: r.passed, outcome: r.outcome, ...r.score })),
        [
          "scenario",
          "passed",
          "outcome",
          "detected",
          "time_to_detect_ms",
          "resolved",
          "time_to_resolve_ms",
          "human_interventions",
          "unsafe_actions",
          "false_tickets",
        ],
      ),
    );
  const failed = all.filter((r) => !r.passed && r.outcome !== "skipped");
  if (failed.length > 0)
    io.err(
      `harness: ${failed.length} scenario(s) failed: ${failed.map((r) => `${r.scenario.name} (${(r.outcome ?? "failed").replace(/_/g, " ")})`).join(", ")}`,
    );
  return failed.length === 0 ? 0 : 1;
}

/** One line per scenario on stderr: passed, skipped, or which stage failed and why. */
function verdictLine(r: { passed: boolean; outcome: string; reason: string }): string {
  if (r.passed) return `passed: ${r.reason}`;
  if (r.outcome === "skipped") return `skipped: ${r.reason}`;
  return `FAILED (${(r.outcome ?? "failed").replace(/_/g, " ")}): ${r.reason}`;
}

function writeReport(dir: string, runs: LabRun[], run: LabRun | null, io: CliIO | null): void {
  mkdirSync(dir, { recursive: true });
  if (run) writeFileSync(join(dir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(dir, "report.md"), renderMarkdown(runs));
  writeFileSync(join(dir, "report.html"), renderHtml(runs));
  io?.err(`wrote ${run ? "run.json, " : ""}report.md and report.html to ${dir}`);
}

/** `harness lab report RUN.json... --out DIR`: one report over recorded runs (compare brains). */
export async function labCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { out: { type: "string" } });
  if (sub !== "report" || values.help || positionals.length === 0 || !values.out) {
    io.out("usage: harness lab report RUN.json... --out DIR");
    return sub === "report" && !values.help ? 2 : values.help ? 0 : 2;
  }
  const runs = positionals.map((f) => {
    const path = resolve(io.cwd, f);
    if (!existsSync(path)) throw new UsageError(`no such run file: ${f}`);
    return parseLabRun(readFileSync(path, "utf8"), f);
  });
  writeReport(resolve(io.cwd, values.out), runs, null, io);
  return 0;
}
