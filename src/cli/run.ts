import { AppError, toAppError } from "../lib/errors";
import { harnessVersion } from "../version";
import { UsageError } from "./args";
import { auditCommand } from "./audit";
import { definitionsCommand } from "./definitions";
import type { CliIO } from "./io";
import { loadCommand } from "./load";
import { notifyCommand } from "./notify";
import { promqlCommand } from "./promql";
import { rulesFilesCommand } from "./rule-files";
import { rulesCommand } from "./rules";
import { labCommand, scenarioCommand } from "./scenario";
import { ticketCommand } from "./ticket";
import { trajectoriesCommand } from "./trajectories";
import { upCommand } from "./up";

export const usage = `harness ${harnessVersion} — an AI agent that operates a rate limiter on its own

usage: harness <command> [options]

  up                 run web, monitor, agent and the supervised rate limiter
  web | monitor | agent   run one role alone (they share the data directory)
  ticket ...         list, show, create, note, cancel, approve and deny tickets
  slo ...            list, show, create and delete SLOs
  invariant ...      list, show, create and delete invariants
  anomaly ...        list, show, create and delete anomaly detectors
  schedule ...       list, show, create and delete scheduled tickets
  trajectories export --format F [--out FILE]   export ticket executions as training data
  load [--rate N --duration D]   realistic traffic against the rate limiter
  scenario list | run NAME|--all|--file F [--report DIR]   apply a fault to a running harness, score it
  lab report RUN.json... --out DIR   Markdown and HTML report over scenario runs (a table per brain)
  rules test FILE…   unit tests for SLOs, invariants and anomaly detectors (like promtool test rules)
  rules plan|apply FILE… [--prune]   make stored rules match YAML rule files under version control
  rules export [--out FILE]          every stored rule as one YAML rule file
  promql test FILE… | query EXPR   run PromQL test scripts or one query on the embedded store
  audit verify       check that every change has a ticket and every ticket a cause
  notify test [--target NAME]   send a test message to each notification target (notify: in harness.yaml)
  version            print the version

Common options: --data-dir D (default ./.harness), --config FILE (harness.yaml), --json
Run "harness <command> --help" for a command's options.`;

/** Dispatches argv; every failure becomes one sentence on stderr and a non-zero exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(usage);
        return command === undefined ? 2 : 0;
      case "version":
      case "--version":
        io.out(
          rest.includes("--json")
            ? JSON.stringify({ version: harnessVersion, bun: Bun.version })
            : `harness ${harnessVersion} (bun ${Bun.version})`,
        );
        return 0;
      case "up":
      case "web":
      case "monitor":
      case "agent":
        return await upCommand(command, rest, io);
      case "ticket":
      case "tickets":
        return await ticketCommand(rest, io);
      case "slo":
      case "slos":
        return await rulesCommand("slo", rest, io);
      case "anomaly":
      case "anomalies":
        return await definitionsCommand("anomaly", rest, io);
      case "schedule":
      case "schedules":
        return await definitionsCommand("schedule", rest, io);
      case "scenario":
      case "scenarios":
        return await scenarioCommand(rest, io);
      case "lab":
        return await labCommand(rest, io);
      case "load":
        return await loadCommand(rest, io);
      case "rules":
        return await rulesFilesCommand(rest, io);
      case "promql":
        return await promqlCommand(rest, io);
      case "notify":
        return await notifyCommand(rest, io);
      case "audit":
        return await auditCommand(rest, io);
      case "trajectories":
      case "trajectory":
        return await trajectoriesCommand(rest, io);
      case "invariant":
      case "invariants":
        return await rulesCommand("invariant", rest, io);
      default:
        throw new UsageError(`unknown command "${command}"; run "harness help"`);
    }
  } catch (err) {
    const e = toAppError(err);
    io.err(`harness: ${e.message}`);
    if (err instanceof UsageError) return 2;
    return e instanceof AppError && e.code === "internal" && !(err instanceof AppError) ? 70 : 1;
  }
}
