/** A cookie-keeping client for the dashboard's Elysia app, in process: forms, login and CSRF as a browser does. */
export function dashboardClient(app: { handle(req: Request): Promise<Response> }, token: string) {
  let cookie = "";
  const req = async (
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const init: RequestInit = { method, headers: { cookie, ...headers } };
    if (form) {
      init.body = new URLSearchParams(form).toString();
      (init.headers as Record<string, string>)["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await app.handle(new Request(`http://localhost${path}`, init));
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0] as string;
    return {
      status: res.status,
      text: await res.text(),
      type: res.headers.get("content-type"),
      location: res.headers.get("location"),
    };
  };
  /** Logs in with the token and returns the session's CSRF token, read from a page's form. */
  const login = async (page = "/tickets") => {
    await req("POST", "/login", { token });
    return /name="_csrf" value="([^"]+)"/.exec((await req("GET", page)).text)?.[1] as string;
  };
  return { req, login, cookie: () => cookie };
}
