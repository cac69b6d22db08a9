import type { Ticket, TicketEvent } from "../tickets/model";
import { StatusPill, Time } from "./layout";

export function TicketTable(props: { tickets: Ticket[] }) {
  if (props.tickets.length === 0) return <p class="muted">No tickets yet.</p>;
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
      return `${d.name}${d.is_error ? " (error)" : ""}`;
    case "brain_turn":
      return `${d.brain} turn: ${(d.content as { type: string; name?: string }[])
        .map((b) => (b.type === "tool_use" ? `call ${b.name}` : b.type))
        .join(", ")}`;
    case "verification":
      return `verification ${d.result}`;
    default:
      return "";
  }
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

export function TicketDetail(props: { ticket: Ticket; events: TicketEvent[]; observation: unknown }) {
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
        {props.observation ? (
          <>
            <h3>Observation</h3>
            <pre safe>{JSON.stringify(props.observation, null, 2)}</pre>
          </>
        ) : (
          ""
        )}
      </section>
      <section hx-get={`/partials/tickets/${t.id}/timeline`} hx-trigger="every 3s" hx-swap="innerHTML">
        <h2>Timeline</h2>
        <Timeline events={props.events} />
      </section>
    </>
  );
}
