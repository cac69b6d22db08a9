/** @jsxImportSource @kitajs/html */
import type { Approval } from "../tickets/approvals";
import { isTerminal, type Ticket, type TicketEvent } from "../tickets/model";
import type { Viewer } from "./context";
import { Csrf, FieldError, NeedsLogin, StatusPill, Time } from "./layout";
import { NotificationLog } from "./notifications-view";

export function TicketTable(props: { tickets: Ticket[] }) {
  if (props.tickets.length === 0) return <p class="muted">No tickets.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>#</th>
          <th>Title</th>
          <th>Status</th>
          <th>Priority</th>
          <th>Source</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {props.tickets.map((t) => (
          <tr id={`ticket-${t.id}`}>
            <td>
              <a href={`/tickets/${t.id}`}>{String(t.id)}</a>
            </td>
            <td safe>{t.title}</td>
            <td>
              <StatusPill status={t.status} />
            </td>
            <td safe>{t.priority}</td>
            <td safe>{t.source}</td>
            <td>
              <Time ms={t.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function eventSummary(e: TicketEvent): string {
  const d = e.data;
  switch (e.kind) {
    case "status_changed":
      return `${d.from} → ${d.to}${d.reason ? ` (${d.reason})` : ""}`;
    case "note":
      return String(d.text ?? "");
    case "tool_result":
      return `${d.name}${d.is_error ? " (error)" : ""}${d.duration_ms !== undefined ? ` · ${d.duration_ms} ms` : ""}`;
    case "brain_turn": {
      const usage = d.usage as { input_tokens?: number; output_tokens?: number } | undefined;
      const calls = (d.content as { type: string; name?: string }[])
        .map((b) => (b.type === "tool_use" ? `call ${b.name}` : b.type))
        .join(", ");
      return `${d.brain} turn: ${calls} · ${usage?.input_tokens ?? 0}/${usage?.output_tokens ?? 0} tokens`;
    }
    case "brain_unavailable":
      return `${d.brain} unavailable: ${d.reason ?? d.error}; attempt not counted, ${d.next}`;
    case "brain_fallback":
      return `${d.brain} takes this attempt while ${d.configured} is down: ${d.reason}`;
    case "verification":
      return `verification ${d.result}${d.partial ? " (partial: worse than the baseline)" : ""}`;
    case "commit":
      return `commit ${d.commit} on ${d.branch}: ${d.path}`;
    default:
      return "";
  }
}

const show = (v: unknown) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : "no data");

/**
 * Each criterion's metric at the baseline (before the fault), when the ticket opened and at verification, so
 * a reader sees whether a verified fix left the service as it was or only under the alert's threshold.
 */
function AgainstBaseline(props: { ticket: Ticket; events: TicketEvent[] }) {
  const baseline = props.ticket.context.baseline as
    | {
        at: number;
        signals: { criterion: string; query: string; value: number | null }[];
        opened?: { query: string; value: number | null }[];
        commit: string | null;
      }
    | undefined;
  if (!baseline || baseline.signals.length === 0) return "";
  const verification = props.events.findLast((e) => e.kind === "verification");
  const judged =
    (verification?.data.against_baseline as { query: string; after: number | null; worse: boolean }[]) ?? [];
  return (
    <>
      <h3>Against the baseline</h3>
      <p class="muted">
        <span safe>{`Baseline read at ${new Date(baseline.at).toISOString()}`}</span>
        {baseline.commit ? (
          <span safe>{`, last known good revision ${baseline.commit.slice(0, 12)}`}</span>
        ) : (
          ""
        )}
        {verification?.data.partial ? <strong> · partial fix: worse than before the fault</strong> : ""}
      </p>
      <table id="against-baseline">
        <tr>
          <th>Metric</th>
          <th>Baseline</th>
          <th>When opened</th>
          <th>After the fix</th>
        </tr>
        {baseline.signals.map((s) => {
          const after = judged.find((j) => j.query === s.query);
          return (
            <tr class={after?.worse ? "worse" : ""}>
              <td>
                <code safe>{s.query}</code>
              </td>
              <td safe>{show(s.value)}</td>
              <td safe>{show(baseline.opened?.find((o) => o.query === s.query)?.value)}</td>
              <td safe>
                {after ? `${show(after.after)}${after.worse ? " (worse)" : ""}` : "not verified yet"}
              </td>
            </tr>
          );
        })}
      </table>
    </>
  );
}

export function Timeline(props: { events: TicketEvent[] }) {
  return (
    <ul class="timeline">
      {props.events.map((e) => (
        <li class={`k-${e.kind}`} id={`event-${e.seq}`}>
          <Time ms={e.ts} /> <strong safe>{e.kind}</strong> <span class="muted" safe>{`by ${e.actor}`}</span>
          <div safe>{eventSummary(e)}</div>
          <details>
            <summary>details</summary>
            <pre safe>{JSON.stringify(e.data, null, 2)}</pre>
          </details>
        </li>
      ))}
    </ul>
  );
}

function Actions(props: { ticket: Ticket; viewer: Viewer; pending: Approval | null }) {
  const t = props.ticket;
  const form = (action: string, label: string, cls = "") => (
    <form method="post" action={`/tickets/${t.id}/${action}`} class="inline">
      <Csrf viewer={props.viewer} />
      <button type="submit" class={cls} id={`${action}-button`}>
        {label}
      </button>
    </form>
  );
  return (
    <NeedsLogin viewer={props.viewer}>
      {t.status === "awaiting_approval" && props.pending ? (
        <p>
          <strong safe>{`Waiting for approval: ${props.pending.action}`}</strong> —{" "}
          <span safe>{props.pending.reason}</span> {form("approve", "Approve")}{" "}
          {form("deny", "Deny", "secondary")}
        </p>
      ) : (
        ""
      )}
      {t.status === "needs_human" ? (
        <form method="post" action={`/tickets/${t.id}/reopen`} class="stack" id="reopen">
          <Csrf viewer={props.viewer} />
          <p>
            <strong>Waiting for a person.</strong> <span safe>{t.resolution ?? ""}</span>
          </p>
          <label>
            Success criterion to verify a fix against (optional)
            <input name="criterion" placeholder="QUERY OP VALUE [for D]" />
          </label>
          <div>
            <button type="submit" id="reopen-button">
              Send back to the agent
            </button>
          </div>
        </form>
      ) : (
        ""
      )}
      <form method="post" action={`/tickets/${t.id}/notes`} class="stack">
        <Csrf viewer={props.viewer} />
        <label>
          Note
          <textarea name="text" rows="2" required />
        </label>
        <div>
          <button type="submit">Add note</button>
        </div>
      </form>
      {!isTerminal(t.status) ? <p>{form("cancel", "Cancel ticket", "secondary")}</p> : ""}
    </NeedsLogin>
  );
}

export function TicketDetail(props: {
  ticket: Ticket;
  events: TicketEvent[];
  observation: unknown;
  /** The observation's query charted around the firing time, when it can be charted. */
  chart?: JSX.Element | string;
  viewer: Viewer;
  pending: Approval | null;
  /** The delivery log (src/notify/), shown when anyone was told about the ticket. */
  notifications?: Parameters<typeof NotificationLog>[0]["deliveries"];
}) {
  const t = props.ticket;
  return (
    <>
      <section>
        <h2 safe>{`#${t.id} ${t.title}`}</h2>
        <p>
          <StatusPill status={t.status} />{" "}
          <span safe>{`${t.priority} · ${t.source} · attempt ${t.attempts}`}</span>
        </p>
        <p safe>{t.objective}</p>
        {t.resolution ? <p safe>{`Resolution: ${t.resolution}`}</p> : ""}
        <h3>Success criteria</h3>
        <pre safe>{JSON.stringify(t.success_criteria, null, 2)}</pre>
        <AgainstBaseline ticket={t} events={props.events} />
        {props.observation ? (
          <>
            <h3>Observation</h3>
            {props.chart ?? ""}
            <pre safe>{JSON.stringify(props.observation, null, 2)}</pre>
          </>
        ) : (
          ""
        )}
        <Actions ticket={t} viewer={props.viewer} pending={props.pending} />
      </section>
      <NotificationLog deliveries={props.notifications ?? []} />
      <section hx-get={`/partials/tickets/${t.id}/timeline`} hx-trigger="every 3s" hx-swap="innerHTML">
        <h2>Timeline</h2>
        <Timeline events={props.events} />
      </section>
    </>
  );
}

export function NewTicketForm(props: {
  viewer: Viewer;
  errors: Record<string, string>;
  values: Record<string, string | undefined>;
}) {
  return (
    <NeedsLogin viewer={props.viewer}>
      <form method="post" action="/tickets" class="stack" id="new-ticket">
        <Csrf viewer={props.viewer} />
        <FieldError errors={props.errors} field="_form" />
        <label>
          Title
          <input name="title" value={props.values.title ?? ""} />
          <FieldError errors={props.errors} field="title" />
        </label>
        <label>
          Objective
          <textarea name="objective" rows="3" safe>
            {props.values.objective ?? ""}
          </textarea>
          <FieldError errors={props.errors} field="objective" />
        </label>
        <label>
          Success criterion (optional: without one the agent can report findings, not a verified fix)
          <input
            name="criterion"
            placeholder="QUERY OP VALUE [for D], e.g. sum(rate(ratelimiter_requests_total[5m])) > 0 for 5m"
            value={props.values.criterion ?? ""}
          />
          <FieldError errors={props.errors} field="success_criteria" />
        </label>
        <label>
          Priority
          <select name="priority">
            {["P1", "P2", "P3", "P4"].map((p) => (
              <option value={p} selected={(props.values.priority ?? "P3") === p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <div>
          <button type="submit">Create ticket</button>
        </div>
      </form>
    </NeedsLogin>
  );
}
