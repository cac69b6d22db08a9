import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import cssPath from "../../public/app.css" with { type: "file" };
import type { Core } from "../core";
import type { InstanceStatus } from "../supervisor/supervisor";
import { type Banner, Layout, StatusPill, Time } from "./layout";
import { TicketDetail, TicketTable, Timeline } from "./tickets-view";

export interface DashboardDeps {
  core: Core;
  banner: () => Banner;
  instances: () => InstanceStatus[];
}

function Instances(props: { list: InstanceStatus[] }) {
  if (props.list.length === 0) return <p class="muted">No supervised instances in this process.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Instance</th>
          <th>State</th>
          <th>Port</th>
          <th>Version</th>
          <th>Restarts</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {props.list.map((i) => (
          <tr>
            <td safe>{i.name}</td>
            <td>
              <StatusPill status={i.state} />
            </td>
            <td>{String(i.port)}</td>
            <td safe>{i.version ?? "—"}</td>
            <td>{String(i.restarts)}</td>
            <td>
              <Time ms={i.started_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "max-age=3600" } });

/** Server-rendered pages; every dynamic string is escaped (`safe`), live parts refresh through htmx. */
export function dashboardRoutes(deps: DashboardDeps) {
  const { core } = deps;
  const ticketsPartial = () => <TicketTable tickets={core.tickets.list({ limit: 50 }).items} />;
  return new Elysia()
    .use(html())
    .get("/public/htmx.min.js", asset(htmxPath, "text/javascript; charset=utf-8"))
    .get("/public/app.css", asset(cssPath, "text/css; charset=utf-8"))
    .get("/", () => {
      const counts = core.tickets.countByStatus();
      return (
        <Layout title="Overview" banner={deps.banner()}>
          <div class="grid">
            <section>
              <h2>Service</h2>
              <div hx-get="/partials/instances" hx-trigger="every 3s" hx-swap="innerHTML">
                <Instances list={deps.instances()} />
              </div>
            </section>
            <section>
              <h2>Tickets by status</h2>
              <table>
                <tbody>
                  {Object.entries(counts).map(([s, n]) => (
                    <tr>
                      <td>
                        <StatusPill status={s} />
                      </td>
                      <td>{String(n)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <section>
            <h2>Recent tickets</h2>
            <div id="tickets" hx-get="/partials/tickets" hx-trigger="every 2s" hx-swap="innerHTML">
              {ticketsPartial()}
            </div>
          </section>
        </Layout>
      );
    })
    .get("/tickets", () => (
      <Layout title="Tickets" banner={deps.banner()}>
        <section>
          <h2>Tickets</h2>
          <div id="tickets" hx-get="/partials/tickets" hx-trigger="every 2s" hx-swap="innerHTML">
            {ticketsPartial()}
          </div>
        </section>
      </Layout>
    ))
    .get("/tickets/:id", ({ params, set }) => {
      const id = Number(params.id);
      const t = Number.isInteger(id) && id > 0 ? safeGet(core, id) : null;
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
      return (
        <Layout title={`Ticket ${t.id}`} banner={deps.banner()}>
          <TicketDetail ticket={t} events={core.tickets.events(t.id)} observation={observation} />
        </Layout>
      );
    })
    .get("/partials/tickets", ticketsPartial)
    .get("/partials/instances", () => <Instances list={deps.instances()} />)
    .get("/partials/tickets/:id/timeline", ({ params }) => {
      const t = safeGet(core, Number(params.id));
      return t ? (
        <>
          <h2>Timeline</h2>
          <Timeline events={core.tickets.events(t.id)} />
        </>
      ) : (
        ""
      );
    });
}

function safeGet(core: Core, id: number) {
  try {
    return core.tickets.get(id);
  } catch {
    return null;
  }
}
