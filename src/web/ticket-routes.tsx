/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import { parseDuration } from "../lib/duration";
import { invalid, toAppError } from "../lib/errors";
import type { Observation } from "../rules/observations";
import { parseCriterionText } from "../tickets/criterion-text";
import { personAlert } from "../tickets/intake";
import {
  Priority,
  TicketStatus as StatusSchema,
  TicketSource,
  type TicketStatus,
  ticketSources,
  ticketStatuses,
} from "../tickets/model";
import { LineChart } from "./chart";
import { authorizeForm, type DashboardDeps, type FormBody, forbidden, viewerOf } from "./context";
import { fieldErrors, formFailureStatus, redirect } from "./form-errors";
import { Layout } from "./layout";
import { NewTicketForm, TicketDetail, TicketTable, Timeline } from "./tickets-view";

const within: [string, string][] = [
  ["", "any time"],
  ["1h", "last hour"],
  ["24h", "last day"],
  ["7d", "last week"],
  ["30d", "last 30 days"],
];

function listFilter(q: Record<string, string | undefined>, now: number) {
  const since = within.some(([v]) => v !== "" && v === q.since)
    ? now - parseDuration(q.since as string)
    : undefined;
  const status = (q.status ?? "")
    .split(",")
    .filter((s) => StatusSchema.safeParse(s).success) as TicketStatus[];
  const source = TicketSource.safeParse(q.source);
  const priority = Priority.safeParse(q.priority);
  return {
    ...(status.length ? { status } : {}),
    ...(source.success ? { source: source.data } : {}),
    ...(priority.success ? { priority: priority.data } : {}),
    ...(q.q ? { q: q.q.slice(0, 200) } : {}),
    ...(since !== undefined ? { createdSince: since } : {}),
    limit: 100,
  };
}

function Filters(props: { q: Record<string, string | undefined> }) {
  const opt = (values: readonly string[], current: string | undefined) => [
    <option value="">any</option>,
    ...values.map((v) => (
      <option value={v} selected={current === v} safe>
        {v}
      </option>
    )),
  ];
  return (
    <form method="get" action="/tickets" class="filters" id="ticket-filters">
      <label>
        Status <select name="status">{opt(ticketStatuses, props.q.status)}</select>
      </label>
      <label>
        Source <select name="source">{opt(ticketSources, props.q.source)}</select>
      </label>
      <label>
        Priority <select name="priority">{opt(["P1", "P2", "P3", "P4"], props.q.priority)}</select>
      </label>
      <label>
        Created{" "}
        <select name="since">
          {within.map(([v, label]) => (
            <option value={v} selected={(props.q.since ?? "") === v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Search <input name="q" value={props.q.q ?? ""} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

export function ticketPages(deps: DashboardDeps) {
  const { core } = deps;
  const get = (id: number) => {
    try {
      return core.tickets.get(id);
    } catch {
      return null;
    }
  };
  const listPage = (
    request: Request,
    q: Record<string, string | undefined>,
    errors: Record<string, string> = {},
    values: FormBody = {},
  ) => (
    <Layout title="Tickets" banner={deps.banner()} viewer={viewerOf(deps, request)}>
      <section>
        <h2>Tickets</h2>
        <Filters q={q} />
        <div
          id="tickets"
          hx-get={`/partials/tickets?${new URLSearchParams(q as Record<string, string>)}`}
          hx-trigger="every 2s"
          hx-swap="innerHTML"
        >
          <TicketTable tickets={core.tickets.list(listFilter(q, core.clock.now())).items} />
        </div>
      </section>
      <section>
        <h2>New ticket</h2>
        <NewTicketForm viewer={viewerOf(deps, request)} errors={errors} values={values} />
      </section>
    </Layout>
  );
  const act =
    (name: string, fn: (id: number, actor: string, body: FormBody) => void) =>
    ({ params, body, request }: { params: { id: string }; body: unknown; request: Request }) => {
      const form = (body ?? {}) as FormBody;
      if (!authorizeForm(deps, request, form)) return forbidden();
      const id = Number(params.id);
      try {
        fn(id, "dashboard", form);
        return redirect(`/tickets/${id}`);
      } catch (err) {
        const status = formFailureStatus(err);
        return new Response(`Could not ${name} ticket ${id}: ${Bun.escapeHTML(toAppError(err).message)}`, {
          status,
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }
    };
  return new Elysia()
    .get("/tickets", ({ query, request }) => listPage(request, query as Record<string, string | undefined>))
    .get("/partials/tickets", ({ query }) => (
      <TicketTable
        tickets={
          core.tickets.list(listFilter(query as Record<string, string | undefined>, core.clock.now())).items
        }
      />
    ))
    .post("/tickets", ({ body, request, set }) => {
      const form = (body ?? {}) as FormBody;
      if (!authorizeForm(deps, request, form)) return forbidden();
      try {
        const t = core.intake.open(
          personAlert("dashboard", {
            title: form.title ?? "",
            objective: form.objective ?? "",
            priority: form.priority || "P3",
            ...(form.criterion?.trim() ? { success_criteria: [parseCriterionText(form.criterion)] } : {}),
          }),
        );
        return redirect(`/tickets/${t.id}`);
      } catch (err) {
        set.status = formFailureStatus(err);
        return listPage(request, {}, fieldErrors(err), form);
      }
    })
    .get("/tickets/:id", async ({ params, request, set }) => {
      const t = get(Number(params.id));
      if (!t) {
        set.status = 404;
        return (
          <Layout title="Not found" banner={deps.banner()}>
            <section>
              <p safe>{`Ticket ${params.id} does not exist.`}</p>
            </section>
          </Layout>
        );
      }
      const observation = t.observation_id ? core.observations.get(t.observation_id) : null;
      const viewer = viewerOf(deps, request);
      const chart = observation ? await observationChart(deps, observation, t.context) : "";
      // An approval's action is stored as the agent named it (the worker matches decisions on it): redact here.
      const pending = core.approvals.pendingFor(t.id);
      return (
        <Layout title={`Ticket ${t.id}`} banner={deps.banner()} viewer={viewer}>
          <TicketDetail
            ticket={t}
            events={core.tickets.events(t.id)}
            observation={observation}
            chart={chart}
            viewer={viewer}
            pending={pending ? core.redactor.value(pending) : null}
            notifications={core.notifications.forTicket(t.id)}
          />
        </Layout>
      );
    })
    .get("/partials/tickets/:id/timeline", ({ params }) => {
      const t = get(Number(params.id));
      return t ? (
        <>
          <h2>Timeline</h2>
          <Timeline events={core.tickets.events(t.id)} />
        </>
      ) : (
        ""
      );
    })
    .post(
      "/tickets/:id/notes",
      act("note on", (id, actor, f) => {
        const text = (f.text ?? "").trim();
        if (!text) throw invalid("a note needs text");
        core.tickets.addEvent(id, "note", actor, { text });
      }),
    )
    .post(
      "/tickets/:id/cancel",
      act("cancel", (id, actor) =>
        core.tickets.transition(id, "cancelled", actor, { reason: "cancelled in the dashboard" }),
      ),
    )
    .post(
      "/tickets/:id/reopen",
      act("send back", (id, actor, f) => {
        const criterion = (f.criterion ?? "").trim();
        core.tickets.reopen(id, actor, {
          ...(criterion ? { criteria: [parseCriterionText(criterion)] } : {}),
          reason: "sent back to the agent in the dashboard",
        });
      }),
    )
    .post(
      "/tickets/:id/approve",
      act("approve", (id, actor) => core.approvals.decide(id, true, actor)),
    )
    .post(
      "/tickets/:id/deny",
      act("deny", (id, actor) => core.approvals.decide(id, false, actor)),
    );
}

/** The observation's PromQL charted from 30 minutes before it fired to 30 minutes after (or now). */
async function observationChart(
  deps: DashboardDeps,
  o: Observation,
  context: Record<string, unknown>,
): Promise<JSX.Element | string> {
  const language = (context.rule as { language?: string } | undefined)?.language;
  if (!deps.metrics || o.rule_kind === "meta" || language === "logql" || !o.query) return "";
  const end = Math.min(deps.core.clock.now(), o.observed_at + 1_800_000);
  const start = o.observed_at - 1_800_000;
  const r = await deps.metrics
    .rangeQuery(o.query, start, end, Math.max(15_000, Math.round((end - start) / 200)))
    .catch(() => null);
  if (r?.resultType !== "matrix") return "";
  return <LineChart series={r.result} title={o.query} marker={o.observed_at} />;
}
