/** @jsxImportSource @kitajs/html */
import type { Children } from "@kitajs/html";
import type { Viewer } from "./context";

export interface Banner {
  brain: string;
  /** Said beside the brain when it is not answering: why, and who takes the tickets meanwhile. */
  brainWarning?: string;
  metrics: string;
  logs: string;
}

const nav: [string, string][] = [
  ["/", "Overview"],
  ["/tickets", "Tickets"],
  ["/slos", "SLOs"],
  ["/invariants", "Invariants"],
  ["/anomalies", "Anomalies"],
  ["/schedules", "Schedules"],
  ["/deploys", "Deploys"],
  ["/explore", "Explore"],
  ["/trajectories", "Trajectories"],
];

export function Layout(props: { title: string; banner: Banner; viewer?: Viewer; children: Children }) {
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title safe>{`${props.title} · Harness`}</title>
          <link rel="stylesheet" href="/public/app.css" />
          <script src="/public/htmx.min.js" />
        </head>
        <body>
          <header>
            <h1>Harness</h1>
            <nav>
              {nav.map(([href, label]) => (
                <a href={href}>{label}</a>
              ))}
            </nav>
            <div class="banner" id="banner">
              brain: <strong safe>{props.banner.brain}</strong>
              {props.banner.brainWarning ? (
                <span class="banner-warn" id="brain-warning" safe>{` — ${props.banner.brainWarning}`}</span>
              ) : (
                ""
              )}{" "}
              · metrics: <span safe>{props.banner.metrics}</span> · logs:{" "}
              <span safe>{props.banner.logs}</span> ·{" "}
              {props.viewer?.session ? (
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={props.viewer.csrf ?? ""} />
                  <button type="submit">Log out</button>
                </form>
              ) : (
                <a href="/login">Log in</a>
              )}
            </div>
          </header>
          <main>{props.children}</main>
        </body>
      </html>
    </>
  );
}

export function StatusPill(props: { status: string }) {
  return (
    <span class={`pill s-${props.status}`} safe>
      {props.status}
    </span>
  );
}

export function Time(props: { ms: number | null }) {
  if (props.ms === null) return <span class="muted">—</span>;
  const iso = new Date(props.ms).toISOString();
  return (
    <time datetime={iso} safe>
      {`${iso.slice(0, 19).replace("T", " ")} UTC`}
    </time>
  );
}

export function Csrf(props: { viewer: Viewer }) {
  return <input type="hidden" name="_csrf" value={props.viewer.csrf ?? ""} />;
}

/** Forms are shown to logged-in people only; others get a hint instead of a form that would fail. */
export function NeedsLogin(props: { viewer: Viewer; children: Children }) {
  if (props.viewer.session) return <>{props.children}</>;
  return (
    <p class="muted">
      <a href="/login">Log in</a> with the API token to change things.
    </p>
  );
}

export function FieldError(props: { errors: Record<string, string>; field: string }) {
  const e = props.errors[props.field];
  return e ? (
    <span class="error" id={`error-${props.field}`} safe>
      {e}
    </span>
  ) : (
    ""
  );
}
