import type { Children } from "@kitajs/html";

export interface Banner {
  brain: string;
  metrics: string;
  logs: string;
}

export function Layout(props: { title: string; banner: Banner; children: Children }) {
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
              <a href="/">Overview</a>
              <a href="/tickets">Tickets</a>
            </nav>
            <div class="banner" id="banner">
              brain: <strong safe>{props.banner.brain}</strong> · metrics:{" "}
              <span safe>{props.banner.metrics}</span> · logs: <span safe>{props.banner.logs}</span>
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
