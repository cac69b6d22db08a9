/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import type { DeployRow } from "../deploy/deploy-repo";
import { buildTrajectory, splitAttempts } from "../trajectories/build";
import { trajectoryContext } from "../trajectories/context";
import { trajectories } from "../trajectories/export";
import { formatNames } from "../trajectories/formats";
import { type DashboardDeps, viewerOf } from "./context";
import { Layout, StatusPill, Time } from "./layout";

type Signals = { request_rate: number | null; error_ratio: number | null; p99_seconds: number | null } | null;

function signalsText(json: string): string {
  const m = JSON.parse(json || "{}") as { before?: Signals; after?: Signals };
  const one = (s: Signals | undefined) =>
    !s
      ? "—"
      : [
          s.request_rate === null ? "—" : s.request_rate.toFixed(1),
          s.error_ratio === null ? "—" : `${(100 * s.error_ratio).toFixed(2)} %`,
          s.p99_seconds === null ? "—" : `${(1000 * s.p99_seconds).toFixed(1)} ms`,
        ].join(", ");
  return `${one(m.before)} → ${one(m.after)}`;
}

function DeployTable(props: { rows: DeployRow[] }) {
  if (props.rows.length === 0) return <p class="muted">No deploys yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>#</th>
          <th>Started</th>
          <th>Ticket</th>
          <th>Commit</th>
          <th>Status</th>
          <th>Stages (ms)</th>
          <th>Reason</th>
          <th>Before → after (checks/s, 5xx, p99)</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((d) => (
          <tr>
            <td>{String(d.id)}</td>
            <td>
              <Time ms={d.started_at} />
            </td>
            <td>
              <a href={`/tickets/${d.ticket_id}`}>{`#${d.ticket_id}`}</a>
            </td>
            <td>
              <code safe>{`${d.previous_sha ?? "?"} → ${d.commit_sha}`}</code>
            </td>
            <td>
              <StatusPill status={d.status} />
            </td>
            <td>
              {(JSON.parse(d.stages) as { stage: string; ok: boolean; ms: number; detail?: string }[]).map(
                (s) => (
                  <div>
                    <span safe>{`${s.stage} ${s.ok ? "ok" : "failed"} ${s.ms}`}</span>
                    {/* The canary stage's detail is its comparison with the running version. */}
                    {s.stage === "canary" && s.detail ? (
                      <div class="muted" safe>
                        {s.detail}
                      </div>
                    ) : (
                      ""
                    )}
                  </div>
                ),
              )}
            </td>
            <td safe>{d.reason ?? ""}</td>
            <td safe>{signalsText(d.metrics)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Deploys and trajectories. */
export function miscPages(deps: DashboardDeps) {
  const { core } = deps;
  const page = (request: Request, title: string, children: JSX.Element) => (
    <Layout title={title} banner={deps.banner()} viewer={viewerOf(deps, request)}>
      {children}
    </Layout>
  );
  return new Elysia()
    .get("/deploys", ({ request }) => {
      const events = core.changes.recent(200);
      // Stages keep the tail of the test output, which may print a secret: the repository redacts rows.
      const deploys = core.deploys.list(100);
      return page(
        request,
        "Deploys",
        <>
          <section>
            <h2>Deploys</h2>
            <DeployTable rows={deploys} />
          </section>
          <section>
            <h2>Changes to the service</h2>
            {events.length === 0 ? (
              <p class="muted">No commits, deploys, rollbacks or restarts yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Kind</th>
                    <th>Ticket</th>
                    <th>Details</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((e) => (
                    <tr>
                      <td>
                        <Time ms={e.ts} />
                      </td>
                      <td safe>{e.kind}</td>
                      <td>
                        <a href={`/tickets/${e.ticket_id}`}>{`#${e.ticket_id}`}</a>
                      </td>
                      <td>
                        <code safe>{JSON.stringify(e.data)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>,
      );
    })
    .get("/trajectories", ({ request }) => {
      const rows = [...trajectories(core, trajectoryContext(), { includeUnfinished: true })]
        .slice(-200)
        .reverse();
      return page(
        request,
        "Trajectories",
        <section>
          <h2>Trajectories</h2>
          <p>
            Export:{" "}
            {formatNames.map((f) => (
              <>
                <a href={`/api/v1/trajectories/export?format=${f}`}>{f}</a>{" "}
              </>
            ))}
          </p>
          {rows.length === 0 ? (
            <p class="muted">No ticket has been worked yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Episode</th>
                  <th>Outcome</th>
                  <th>Reward</th>
                  <th>Steps</th>
                  <th>Tokens</th>
                  <th>Brain</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td>
                      <a href={`/trajectories/${r.episode_id}`} safe>
                        {r.episode_id}
                      </a>
                    </td>
                    <td>
                      <StatusPill status={r.outcome} />
                    </td>
                    <td>{String(r.reward.value)}</td>
                    <td>{String(r.totals.steps)}</td>
                    <td>{String(r.totals.input_tokens + r.totals.output_tokens)}</td>
                    <td safe>{r.brain ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>,
      );
    })
    .get("/trajectories/:id", ({ params, request, set }) => {
      const m = /^t(\d+)-a(\d+)$/.exec(params.id);
      const ticket = m
        ? (() => {
            try {
              return core.tickets.get(Number(m[1]));
            } catch {
              return null;
            }
          })()
        : null;
      const attempts = ticket ? splitAttempts(core.tickets.events(ticket.id)) : [];
      const n = Number(m?.[2] ?? 0);
      const attempt = attempts[n - 1];
      if (!ticket || !attempt) {
        set.status = 404;
        return page(
          request,
          "Not found",
          <section>
            <p safe>{`No episode ${params.id}.`}</p>
          </section>,
        );
      }
      const obs = ticket.observation_id ? core.observations.get(ticket.observation_id) : null;
      // Redacted again like the export: this also covers secrets added to the redactor since it was stored.
      const rec = core.redactor.value(
        buildTrajectory(trajectoryContext(), ticket, obs, attempt, n, n === attempts.length),
      );
      return page(
        request,
        `Episode ${rec.episode_id}`,
        <section>
          <h2 safe>{`Episode ${rec.episode_id}: ${ticket.title}`}</h2>
          <p>
            <StatusPill status={rec.outcome} />{" "}
            <span
              safe
            >{`reward ${rec.reward.value} · ${rec.totals.steps} steps · brain ${rec.brain ?? "—"}`}</span>
          </p>
          <pre safe>{JSON.stringify(rec, null, 2)}</pre>
        </section>,
      );
    });
}
