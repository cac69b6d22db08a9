import { parseCriterionText } from "../tickets/criterion-text";
import { personAlert } from "../tickets/intake";
import type { Ticket } from "../tickets/model";
import { Priority } from "../tickets/model";
import { idArg, intFlag, parse, UsageError } from "./args";
import { type CliIO, printJson, table } from "./io";
import { openCoreFromFlags } from "./store";

const usage = `usage: harness ticket <list|show|create|note|cancel|reopen|approve|deny> [options]
  list    [--status S[,S]] [--source S] [--priority P1-P4] [--search TEXT] [--limit N] [--json]
  show    ID [--json]
  create  --title T --objective O [--priority P1-P4] [--criterion 'QUERY OP VALUE [for D]']... [--json]
  note    ID --text TEXT
  cancel  ID [--reason TEXT]
  reopen  ID [--criterion 'QUERY OP VALUE [for D]']... [--reason TEXT]   (a ticket waiting for a person)
  approve ID [--comment TEXT]
  deny    ID [--comment TEXT]`;

const row = (t: Ticket) => ({
  id: t.id,
  status: t.status,
  priority: t.priority,
  source: t.source,
  title: t.title,
  created: new Date(t.created_at).toISOString().slice(0, 19),
});

export async function ticketCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    status: { type: "string" },
    source: { type: "string" },
    priority: { type: "string" },
    search: { type: "string" },
    limit: { type: "string" },
    title: { type: "string" },
    objective: { type: "string" },
    text: { type: "string" },
    reason: { type: "string" },
    comment: { type: "string" },
    // A ticket is verified only against criteria: QUERY OP VALUE [for D], or QUERY empty|nonempty.
    criterion: { type: "string", multiple: true },
  });
  if (!sub || values.help) {
    io.out(usage);
    return sub ? 0 : 2;
  }
  const { core } = openCoreFromFlags(io, values);
  const actor = `cli:${io.env.USER ?? "person"}`;
  switch (sub) {
    case "list": {
      const page = core.tickets.list({
        ...(values.status ? { status: values.status.split(",") as Ticket["status"][] } : {}),
        ...(values.source ? { source: values.source as Ticket["source"] } : {}),
        ...(values.priority ? { priority: Priority.parse(values.priority) } : {}),
        ...(values.search ? { q: values.search } : {}),
        limit: intFlag(values.limit, "limit") ?? 50,
      });
      if (values.json) printJson(io, page.items);
      else io.out(table(page.items.map(row), ["id", "status", "priority", "source", "title", "created"]));
      return 0;
    }
    case "show": {
      const t = core.tickets.get(idArg(positionals[0]));
      const events = core.tickets.events(t.id);
      if (values.json) {
        const observation = t.observation_id ? core.observations.get(t.observation_id) : null;
        printJson(io, { ...t, observation, events });
        return 0;
      }
      io.out(
        `#${t.id} ${t.title}\nstatus ${t.status} · ${t.priority} · source ${t.source} · attempts ${t.attempts}`,
      );
      io.out(`objective: ${t.objective}`);
      if (t.resolution) io.out(`resolution: ${t.resolution}`);
      io.out(
        table(
          events.map((e) => ({
            seq: e.seq,
            time: new Date(e.ts).toISOString().slice(11, 19),
            kind: e.kind,
            actor: e.actor,
          })),
          ["seq", "time", "kind", "actor"],
        ),
      );
      return 0;
    }
    case "create": {
      if (!values.title || !values.objective)
        throw new UsageError("ticket create needs --title and --objective");
      const t = core.intake.open(
        personAlert(actor, {
          title: values.title,
          objective: values.objective,
          ...(values.priority !== undefined ? { priority: values.priority } : {}),
          ...(values.criterion?.length ? { success_criteria: values.criterion.map(parseCriterionText) } : {}),
        }),
      );
      if (values.json) printJson(io, t);
      else io.out(`created ticket #${t.id}`);
      return 0;
    }
    case "note": {
      if (!values.text) throw new UsageError("ticket note needs --text");
      const e = core.tickets.addEvent(idArg(positionals[0]), "note", actor, { text: values.text });
      if (values.json) printJson(io, e);
      else io.out(`noted on ticket #${e.ticket_id}`);
      return 0;
    }
    case "cancel": {
      const t = core.tickets.transition(idArg(positionals[0]), "cancelled", actor, {
        reason: values.reason ?? "cancelled by a person",
      });
      if (values.json) printJson(io, t);
      else io.out(`ticket #${t.id} cancelled`);
      return 0;
    }
    case "reopen": {
      const t = core.tickets.reopen(idArg(positionals[0]), actor, {
        ...(values.criterion?.length ? { criteria: values.criterion.map(parseCriterionText) } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
      if (values.json) printJson(io, t);
      else io.out(`ticket #${t.id} sent back to the agent`);
      return 0;
    }
    case "approve":
    case "deny": {
      const a = core.approvals.decide(idArg(positionals[0]), sub === "approve", actor, values.comment);
      if (values.json) printJson(io, a);
      else io.out(`ticket #${a.ticket_id}: ${a.action} ${a.status}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown ticket command "${sub}"\n${usage}`);
  }
}
