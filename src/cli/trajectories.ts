import { createWriteStream } from "node:fs";
import { basename } from "node:path";
import { AppError } from "../lib/errors";
import { trajectoryContext } from "../trajectories/context";
import { checkFormat, exportLines, trajectories } from "../trajectories/export";
import { parseTrajectoryFilter } from "../trajectories/filter";
import { datasetCard } from "../trajectories/hf";
import { createPseudonymizer } from "../trajectories/pseudonymize";
import { replayEpisode } from "../trajectories/replay";
import { parse, UsageError } from "./args";
import type { CliIO } from "./io";
import { openCoreFromFlags } from "./store";

const usage = `usage: harness trajectories export --format native|anthropic|openai|atif|otel|hf [--out FILE] [--card README.md]
       [--since T] [--until T] [--outcome O] [--source S] [--brain B] [--include-unfinished]
       [--hash-keys]   rate-limit keys and IP addresses as pseudonyms (salt: HARNESS_EXPORT_SALT, else random)
       harness trajectories replay EPISODE_ID [--brain runbook] [--json]`;

export async function trajectoriesCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    format: { type: "string" },
    out: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    outcome: { type: "string" },
    source: { type: "string" },
    brain: { type: "string" },
    card: { type: "string" },
    "hash-keys": { type: "boolean" },
    // Episodes still being worked or verified have no verdict: left out unless asked for.
    "include-unfinished": { type: "boolean" },
  });
  if (sub !== "replay" && (!sub || values.help)) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  if (sub === "replay") {
    const id = rest.find((a) => !a.startsWith("-"));
    if (!id) throw new UsageError("usage: harness trajectories replay EPISODE_ID [--brain runbook] [--json]");
    const { core } = openCoreFromFlags(io, values);
    const record = [...trajectories(core, trajectoryContext(), { includeUnfinished: true })].find(
      (r) => r.episode_id === id,
    );
    if (!record) throw new AppError("not_found", `no episode ${id} (ids look like t12-a1)`);
    const report = await replayEpisode(record, values.brain === "runbook" ? "runbook" : "recorded");
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else
      io.out(
        `${report.episode_id} (${report.mode}): ${report.matches ? "same tool calls" : "diverged"} — recorded ${report.recorded_tools.join(", ")}; replayed ${report.replayed_tools.join(", ")}; ended ${report.final_status}`,
      );
    return 0;
  }
  if (sub !== "export") throw new UsageError(`unknown trajectories command "${sub}"\n${usage}`);
  const format = checkFormat(values.format ?? "native");
  const filter = parseTrajectoryFilter({
    since: values.since,
    until: values.until,
    outcome: values.outcome,
    source: values.source,
    brain: values.brain,
    include_unfinished: values["include-unfinished"] ? "1" : undefined,
  });
  const { core } = openCoreFromFlags(io, values);
  if (values.card && (format !== "hf" || !values.out))
    throw new UsageError("--card needs --format hf and --out FILE");
  let count = 0;
  const seen: { outcome: string; brain: string }[] = [];
  const exportOpts = {
    pseudonymizer: values["hash-keys"]
      ? createPseudonymizer(io.env.HARNESS_EXPORT_SALT || crypto.randomUUID())
      : undefined,
  };
  if (values.out) {
    const stream = createWriteStream(values.out);
    for (const line of exportLines(core, trajectoryContext(), format, filter, exportOpts)) {
      // Respect back-pressure so a large export stays in constant memory.
      if (!stream.write(line)) await new Promise((r) => stream.once("drain", r));
      count++;
      if (values.card) {
        const row = JSON.parse(line) as { outcome: string; brain: string };
        seen.push({ outcome: row.outcome, brain: row.brain });
      }
    }
    await new Promise<void>((resolve, reject) =>
      stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    io.err(`exported ${count} episode${count === 1 ? "" : "s"} as ${format} to ${values.out}`);
    if (values.card) {
      await Bun.write(values.card, datasetCard(seen, basename(values.out)));
      io.err(`wrote the dataset card to ${values.card}`);
    }
  } else {
    for (const line of exportLines(core, trajectoryContext(), format, filter, exportOpts)) {
      io.out(line.trimEnd());
      count++;
    }
  }
  return 0;
}
