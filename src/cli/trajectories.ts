import { createWriteStream } from "node:fs";
import { trajectoryContext } from "../trajectories/context";
import { checkFormat, exportLines } from "../trajectories/export";
import { parseTrajectoryFilter } from "../trajectories/filter";
import { parse, UsageError } from "./args";
import type { CliIO } from "./io";
import { openCoreFromFlags } from "./store";

const usage = `usage: harness trajectories export --format native|anthropic|openai|atif|otel|hf [--out FILE] [--card README.md]
       [--since T] [--until T] [--outcome O] [--source S] [--brain B]`;

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
  });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  if (sub !== "export") throw new UsageError(`unknown trajectories command "${sub}"\n${usage}`);
  const format = checkFormat(values.format ?? "native");
  const filter = parseTrajectoryFilter({
    since: values.since,
    until: values.until,
    outcome: values.outcome,
    source: values.source,
    brain: values.brain,
  });
  const { core } = openCoreFromFlags(io, values);
  let count = 0;
  if (values.out) {
    const stream = createWriteStream(values.out);
    for (const line of exportLines(core, trajectoryContext(), format, filter)) {
      // Respect back-pressure so a large export stays in constant memory.
      if (!stream.write(line)) await new Promise((r) => stream.once("drain", r));
      count++;
    }
    await new Promise<void>((resolve, reject) =>
      stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    io.err(`exported ${count} episode${count === 1 ? "" : "s"} as ${format} to ${values.out}`);
  } else {
    for (const line of exportLines(core, trajectoryContext(), format, filter)) {
      io.out(line.trimEnd());
      count++;
    }
  }
  return 0;
}
