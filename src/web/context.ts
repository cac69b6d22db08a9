import { tokensEqual } from "../api/auth";
import type { Core } from "../core";
import type { InstanceStatus } from "../supervisor/supervisor";
import type { LogsBackend, MetricsBackend } from "../telemetry/types";
import type { Banner } from "./layout";
import type { Sessions } from "./session";

export interface DashboardDeps {
  core: Core;
  banner: () => Banner;
  instances: () => InstanceStatus[];
  sessions: Sessions;
  metrics: MetricsBackend | null;
  logs?: LogsBackend | null;
  /**
   * The client's address, for throttling logins per client. The app passes `server.requestIP` of its own
   * `Bun.serve` (Elysia only knows the server when it listens itself); without either, all clients share one bucket.
   */
  clientAddress?: (request: Request) => string | null | undefined;
}

/** Who is looking: read pages are open on loopback; forms need a session and its CSRF token. */
export interface Viewer {
  session: string | null;
  csrf: string | null;
}

export function viewerOf(deps: DashboardDeps, request: Request): Viewer {
  const session = deps.sessions.read(request.headers.get("cookie"));
  return { session, csrf: session ? deps.sessions.csrfFor(session) : null };
}

export type FormBody = Record<string, string | undefined>;

/** A change from a form: needs a valid session and the matching CSRF field, else null. */
export function authorizeForm(deps: DashboardDeps, request: Request, body: FormBody): Viewer | null {
  const viewer = viewerOf(deps, request);
  const given = body._csrf;
  if (!viewer.session || !viewer.csrf || typeof given !== "string" || !tokensEqual(given, viewer.csrf))
    return null;
  return viewer;
}

/** The answer to a form without a valid session or CSRF token. */
export const forbidden = () =>
  new Response(
    "Log in (with the API token) and retry from the page: the form's session or CSRF token is missing or stale.",
    { status: 403 },
  );
