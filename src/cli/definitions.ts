import { idArg, parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";
import { openCoreFromFlags } from "./store";

type Kind = "anomaly" | "schedule";

const usage = (kind: Kind) =>
  kind === "anomaly"
    ? "usage: harness anomaly list|show ID|delete ID|create --name N --query Q [--method zscore|mad|seasonal] [--sensitivity 4] [--window 1h] [--min-history 30m] [--cooldown 30m] [--min-change 0] [--for 0s] [--severity warning]"
    : "usage: harness schedule list|show ID|delete ID|create --name N --cron '0 9 * * 1' --title T --objective O [--priority P4]";

export async function definitionsCommand(kind: Kind, argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    name: { type: "string" },
    query: { type: "string" },
    method: { type: "string" },
    sensitivity: { type: "string" },
    window: { type: "string" },
    "min-history": { type: "string" },
    cooldown: { type: "string" },
    "min-change": { type: "string" },
    for: { type: "string" },
    severity: { type: "string" },
    cron: { type: "string" },
    title: { type: "string" },
    objective: { type: "string" },
    priority: { type: "string" },
  });
  if (!sub || values.help) {
    io.out(usage(kind));
    return sub ? 0 : 2;
  }
  const { core } = openCoreFromFlags(io, values);
  const repo = kind === "anomaly" ? core.anomalies : core.schedules;
  switch (sub) {
    case "list": {
      const items = repo.list() as unknown as Record<string, unknown>[];
      if (values.json) printJson(io, items);
      else
        io.out(
          table(
            items,
            kind === "anomaly"
              ? ["id", "name", "method", "sensitivity", "window", "enabled"]
              : ["id", "name", "cron", "title", "enabled"],
          ),
        );
      return 0;
    }
    case "show":
      printJson(io, repo.get(idArg(positionals[0], "id")));
      return 0;
    case "delete":
      repo.delete(idArg(positionals[0], "id"));
      io.out(`deleted ${kind} #${positionals[0]}`);
      return 0;
    case "create": {
      const pick = (entries: [string, string | undefined, ((s: string) => unknown)?][]) =>
        Object.fromEntries(
          entries.filter(([, v]) => v !== undefined).map(([k, v, f]) => [k, f ? f(v as string) : v]),
        );
      const input =
        kind === "anomaly"
          ? pick([
              ["name", values.name],
              ["query", values.query],
              ["method", values.method],
              ["sensitivity", values.sensitivity, Number],
              ["window", values.window],
              ["min_history", values["min-history"]],
              ["cooldown", values.cooldown],
              ["min_change", values["min-change"], Number],
              ["for", values.for],
              ["severity", values.severity],
            ])
          : pick([
              ["name", values.name],
              ["cron", values.cron],
              ["title", values.title],
              ["objective", values.objective],
              ["priority", values.priority],
            ]);
      const created = repo.create(input);
      if (values.json) printJson(io, created);
      else io.out(`created ${kind} #${created.id} ${created.name}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown ${kind} command "${sub}"\n${usage(kind)}`);
  }
}
