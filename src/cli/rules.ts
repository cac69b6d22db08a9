import { existsSync, readFileSync } from "node:fs";
import { exportPrometheusRules } from "../slo/export-rules";
import { importSlos } from "../slo/import-slo";
import { idArg, parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";
import { openCoreFromFlags } from "./store";

const usage = (kind: string) => `usage: harness ${kind} <list|show|create|delete> [options]
  list [--json]
  show ID [--json]
  create ${kind === "slo" ? "--name N --objective 99.9 --window 30d --total Q (--bad Q | --good Q)" : "--name N --query Q [--language promql|logql] [--for 5m] [--severity critical|high|warning|info]"} [--description D]
  delete ID
  export-rules [FILE]   Prometheus recording and alerting rules for all SLOs and invariants${kind === "slo" ? "\n  import FILE           SLOs from a Sloth (prometheus/v1) or OpenSLO (openslo/v1) file" : ""}`;

export async function rulesCommand(kind: "slo" | "invariant", argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    name: { type: "string" },
    query: { type: "string" },
    language: { type: "string" },
    for: { type: "string" },
    severity: { type: "string" },
    description: { type: "string" },
    objective: { type: "string" },
    window: { type: "string" },
    total: { type: "string" },
    bad: { type: "string" },
    good: { type: "string" },
  });
  if (!sub || values.help) {
    io.out(usage(kind));
    return sub ? 0 : 2;
  }
  const { core } = openCoreFromFlags(io, values);
  const r = core.rules;
  const show = (v: unknown) => (values.json ? printJson(io, v) : io.out(JSON.stringify(v, null, 2)));
  switch (sub) {
    case "list": {
      const items = kind === "slo" ? r.listSlos() : r.listInvariants();
      if (values.json) printJson(io, items);
      else
        io.out(
          table(
            items as unknown as Record<string, unknown>[],
            kind === "slo"
              ? ["id", "name", "objective", "window", "enabled"]
              : ["id", "name", "severity", "for", "query"],
          ),
        );
      return 0;
    }
    case "show":
      show(
        kind === "slo" ? r.getSlo(idArg(positionals[0], "id")) : r.getInvariant(idArg(positionals[0], "id")),
      );
      return 0;
    case "create": {
      const input =
        kind === "slo"
          ? {
              name: values.name,
              objective: values.objective === undefined ? undefined : Number(values.objective),
              ...(values.window ? { window: values.window } : {}),
              ...(values.description ? { description: values.description } : {}),
              sli: {
                total: values.total,
                ...(values.bad ? { bad: values.bad } : {}),
                ...(values.good ? { good: values.good } : {}),
              },
            }
          : {
              name: values.name,
              query: values.query,
              ...(values.language ? { language: values.language } : {}),
              ...(values.for ? { for: values.for } : {}),
              ...(values.severity ? { severity: values.severity } : {}),
              ...(values.description ? { description: values.description } : {}),
            };
      const created = kind === "slo" ? r.createSlo(input) : r.createInvariant(input);
      if (values.json) printJson(io, created);
      else io.out(`created ${kind} #${created.id} ${created.name}`);
      return 0;
    }
    case "delete": {
      const id = idArg(positionals[0], "id");
      if (kind === "slo") r.deleteSlo(id);
      else r.deleteInvariant(id);
      io.out(values.json ? JSON.stringify({ deleted: id }) : `deleted ${kind} #${id}`);
      return 0;
    }
    case "import": {
      if (kind !== "slo") break;
      const file = positionals[0];
      if (!file || !existsSync(file))
        throw new UsageError(`slo import needs a Sloth or OpenSLO file, got "${file ?? ""}"`);
      const created = importSlos(readFileSync(file, "utf8")).map((s) => r.createSlo(s));
      if (values.json) printJson(io, created);
      else
        io.out(
          `imported ${created.length} SLO${created.length === 1 ? "" : "s"}: ${created.map((c) => c.name).join(", ")}`,
        );
      return 0;
    }
    case "export-rules": {
      const yaml = exportPrometheusRules(r.listSlos(), r.listInvariants());
      if (positionals[0]) {
        await Bun.write(positionals[0], yaml);
        io.err(`wrote Prometheus rules to ${positionals[0]}`);
      } else io.out(yaml);
      return 0;
    }
  }
  throw new UsageError(`unknown ${kind} command "${sub}"\n${usage(kind)}`);
}
