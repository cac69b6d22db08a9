/** @jsxImportSource @kitajs/html */
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import cssPath from "../../public/app.css" with { type: "file" };
import type { InstanceStatus } from "../supervisor/supervisor";
import { ticketStatuses } from "../tickets/model";
import { type DashboardDeps, viewerOf } from "./context";
import { definitionPages } from "./definition-pages";
import { ruleDefinitions } from "./definitions";
import { explorePages } from "./explore-routes";
import { parseFormBody, RefusedBody, refusedBody } from "./form-body";
import { Layout, StatusPill, Time } from "./layout";
import { loginPages } from "./login-routes";
import { miscPages } from "./misc-routes";
import { ServiceSignals } from "./service-signals";
import { SloPanels } from "./slo-panel";
import { ticketPages } from "./ticket-routes";
import { TicketTable, Timeline } from "./tickets-view";

export type { DashboardDeps } from "./context";

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
  // Rule state lives in the shared database, so the web role can show it even when the monitor runs elsewhere.
  const ruleStates = core.ruleStates;
  const states = () => new Map(ruleStates.all().map((r) => [r.rule_key, r]));
  const feed = () => <Timeline events={core.tickets.recentEvents(30)} />;
  const [slo, invariant, anomaly, schedule] = ruleDefinitions(deps, states);
  return (
    new Elysia()
      .use(html())
      // Before any route that reads a body: forms are read capped (form-body.ts), never by Elysia's own parsers.
      .onParse(({ request, contentType }) => parseFormBody(request, contentType))
      .onBeforeHandle(({ body }) => (body instanceof RefusedBody ? refusedBody(body) : undefined))
      .use(loginPages(deps))
      .get("/public/htmx.min.js", asset(htmxPath, "text/javascript; charset=utf-8"))
      .get("/public/app.css", asset(cssPath, "text/css; charset=utf-8"))
      .get("/", ({ request }) => {
        const counts = core.tickets.countByStatus();
        const open = core.tickets.list({
          status: ["pending", "in_progress", "awaiting_approval", "needs_human", "verifying"],
          limit: 50,
        }).items;
        const invariants = core.rules.listInvariants();
        const st = states();
        return (
          <Layout title="Overview" banner={deps.banner()} viewer={viewerOf(deps, request)}>
            <div class="grid">
              <section>
                <h2>Service</h2>
                <div hx-get="/partials/signals" hx-trigger="load, every 5s" hx-swap="innerHTML">
                  <p class="muted">Loading…</p>
                </div>
                <div hx-get="/partials/instances" hx-trigger="every 3s" hx-swap="innerHTML">
                  <Instances list={deps.instances()} />
                </div>
              </section>
              <section>
                <h2>Tickets by status</h2>
                <table>
                  <tbody>
                    {ticketStatuses.map((s) => (
                      <tr>
                        <td>
                          <StatusPill status={s} />
                        </td>
                        <td>{String(counts[s] ?? 0)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
              <section>
                <h2>SLOs</h2>
                {core.rules.listSlos().length === 0 ? (
                  <p class="muted">No SLOs.</p>
                ) : (
                  <ul>
                    {core.rules.listSlos().map((s) => (
                      <li>
                        <a href={`/api/v1/slos/${s.id}/status`} safe>
                          {`${s.name} — ${s.objective}% over ${s.window}`}
                        </a>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </div>
            <section>
              <h2>Error budgets</h2>
              <div id="slo-panels" hx-get="/partials/slos" hx-trigger="load, every 30s" hx-swap="innerHTML">
                <p class="muted">Loading…</p>
              </div>
            </section>
            <div class="grid">
              <section>
                <h2>Invariants</h2>
                <ul>
                  {invariants.map((i) => {
                    const s = st.get(`invariant:${i.name}`);
                    const state = s?.last_error
                      ? "error"
                      : s?.last_value
                        ? "failing"
                        : s
                          ? "passing"
                          : "pending";
                    return (
                      <li>
                        <span safe>{i.name}</span> <StatusPill status={state} />
                      </li>
                    );
                  })}
                </ul>
              </section>
            </div>
            <section>
              <h2>Open tickets</h2>
              <div id="tickets" hx-get="/partials/open-tickets" hx-trigger="every 2s" hx-swap="innerHTML">
                <TicketTable tickets={open} />
              </div>
            </section>
            <section>
              <h2>Live feed</h2>
              <div id="feed" hx-get="/partials/feed" hx-trigger="every 3s" hx-swap="innerHTML">
                {feed()}
              </div>
            </section>
          </Layout>
        );
      })
      .get("/partials/open-tickets", () => (
        <TicketTable
          tickets={
            core.tickets.list({
              status: ["pending", "in_progress", "awaiting_approval", "needs_human", "verifying"],
              limit: 50,
            }).items
          }
        />
      ))
      .get("/partials/feed", feed)
      .get("/partials/slos", () => (
        <SloPanels
          slos={core.rules.listSlos().filter((s) => s.enabled)}
          metrics={deps.metrics}
          now={core.clock.now()}
        />
      ))
      .get("/partials/instances", () => <Instances list={deps.instances()} />)
      .get("/partials/signals", () => <ServiceSignals metrics={deps.metrics} now={core.clock.now()} />)
      .use(ticketPages(deps))
      .use(definitionPages(deps, slo))
      .use(definitionPages(deps, invariant))
      .use(definitionPages(deps, anomaly))
      .use(definitionPages(deps, schedule))
      .use(explorePages(deps))
      .use(miscPages(deps))
  );
}
