/** @jsxImportSource @kitajs/html */
import { Elysia } from "elysia";
import { authorizeForm, type DashboardDeps, type FormBody, viewerOf } from "./context";
import { redirect } from "./form-errors";
import { Layout } from "./layout";
import { clientKey, createLoginThrottle, type LoginThrottle } from "./login-throttle";

function LoginPage(props: { deps: DashboardDeps; request: Request; error?: string }) {
  return (
    <Layout title="Log in" banner={props.deps.banner()} viewer={viewerOf(props.deps, props.request)}>
      <section>
        <h2>Log in</h2>
        <form method="post" action="/login" class="stack" id="login">
          {props.error ? (
            <p class="error" id="login-error" role="alert" safe>
              {props.error}
            </p>
          ) : (
            ""
          )}
          <label>
            API token (printed at first start, saved in the data directory's <code>token</code> file)
            <input name="token" type="password" autocomplete="current-password" />
          </label>
          <div>
            <button type="submit">Log in</button>
          </div>
        </form>
      </section>
    </Layout>
  );
}

const minutes = (ms: number) => {
  const m = Math.ceil(ms / 60_000);
  return m === 1 ? "1 minute" : `${m} minutes`;
};

/**
 * Login and logout. Wrong tokens are throttled per client (login-throttle.ts); a logout revokes the session
 * server-side, so a copied cookie and its CSRF token stop working at once.
 */
export function loginPages(
  deps: DashboardDeps,
  throttle: LoginThrottle = createLoginThrottle(() => deps.core.clock.now()),
) {
  return new Elysia()
    .get("/login", ({ request }) => <LoginPage deps={deps} request={request} />)
    .post("/login", ({ body, request, server, set }) => {
      const client = clientKey(deps.clientAddress?.(request) ?? server?.requestIP(request)?.address);
      const locked = throttle.lockedFor(client);
      if (locked > 0) {
        set.status = 429;
        set.headers["retry-after"] = String(Math.ceil(locked / 1000));
        const error = `Too many failed logins from your address: try again in ${minutes(locked)}.`;
        return <LoginPage deps={deps} request={request} error={error} />;
      }
      const f = (body ?? {}) as FormBody;
      if (!deps.sessions.checkLogin(typeof f.token === "string" ? f.token : "")) {
        const lock = throttle.failed(client);
        set.status = 401;
        if (lock > 0) set.headers["retry-after"] = String(Math.ceil(lock / 1000));
        const error =
          lock > 0 ? `Wrong token. Too many failures: try again in ${minutes(lock)}.` : "Wrong token.";
        return <LoginPage deps={deps} request={request} error={error} />;
      }
      throttle.succeeded(client);
      const s = deps.sessions.issue();
      return new Response(null, { status: 303, headers: { location: "/", "set-cookie": s.cookie } });
    })
    .post("/logout", ({ body, request }) => {
      const viewer = authorizeForm(deps, request, (body ?? {}) as FormBody);
      if (!viewer?.session) return redirect("/");
      deps.sessions.revoke(viewer.session);
      return new Response(null, {
        status: 303,
        headers: { location: "/", "set-cookie": deps.sessions.clearCookie },
      });
    });
}
