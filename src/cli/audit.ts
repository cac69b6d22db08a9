import { join } from "node:path";
import { auditVerify } from "../audit/verify";
import { parse, UsageError } from "./args";
import { type CliIO, printJson } from "./io";
import { openCoreFromFlags } from "./store";

export async function auditCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, { workspace: { type: "string" } });
  if (sub !== "verify") throw new UsageError("usage: harness audit verify [--workspace DIR] [--json]");
  const { config, db } = openCoreFromFlags(io, values);
  const workspace = values.workspace ?? join(config.dataDir, "workspace", "rate-limiter");
  const result = auditVerify(db, workspace);
  if (values.json) printJson(io, result);
  else {
    for (const p of result.problems) io.out(`${p.kind}: ${p.detail}`);
    io.out(
      `checked ${result.checked.tickets} tickets and ${result.checked.commits} commits: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`,
    );
  }
  return result.problems.length === 0 ? 0 : 1;
}
