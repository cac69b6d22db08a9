/** What every remote (Prometheus, Loki, Grafana Cloud) client shares: auth, timeouts and retries. */

export interface RemoteAuth {
  /** Grafana Cloud: instance id as username, access token as password. */
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
}

export interface RemoteOptions {
  url: string;
  auth?: RemoteAuth | undefined;
  timeoutMs?: number | undefined;
  retries?: number | undefined;
  retryBaseMs?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export class RemoteQueryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "RemoteQueryError";
  }
}

export function authHeaders(auth: RemoteAuth | undefined): Record<string, string> {
  if (auth?.bearerToken) return { authorization: `Bearer ${auth.bearerToken}` };
  if (auth?.username !== undefined) {
    return {
      authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}`,
    };
  }
  return {};
}

export const baseUrl = (url: string) => url.replace(/\/+$/, "");

/** Worth another try: the network, a timeout, throttling or a server error. A 4xx is the caller's fault. */
export const retryable = (status: number | null) => status === null || status === 429 || status >= 500;

/**
 * Calls a Prometheus-style JSON API (`{status, data, error}`; Loki uses the same envelope) and returns
 * `data`. GET sends the parameters in the query string, POST as a form.
 */
export async function callJsonApi<T>(
  opts: RemoteOptions,
  path: string,
  params: Record<string, string>,
  method: "GET" | "POST" = "POST",
): Promise<T> {
  const base = baseUrl(opts.url);
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 2;
  const retryBaseMs = opts.retryBaseMs ?? 200;
  const form = new URLSearchParams(params).toString();
  let lastError: RemoteQueryError | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await Bun.sleep(retryBaseMs * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await doFetch(method === "GET" ? `${base}${path}?${form}` : `${base}${path}`, {
        method,
        headers: {
          ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          ...authHeaders(opts.auth),
        },
        ...(method === "POST" ? { body: form } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      lastError = new RemoteQueryError(`cannot reach ${base}: ${(err as Error).message}`, null);
      continue;
    }
    const text = await res.text().catch(() => "");
    let body: { status?: string; data?: T; error?: string } | null = null;
    try {
      body = JSON.parse(text);
    } catch {}
    if (res.ok && body?.status === "success" && body.data !== undefined) return body.data;
    // Loki answers some errors as plain text; keep the first line of it as the message.
    const message = body?.error ?? (text.trim().split("\n")[0] || `HTTP ${res.status}`);
    lastError = new RemoteQueryError(`${message} (HTTP ${res.status} from ${base}${path})`, res.status);
    if (!retryable(res.status)) break;
  }
  throw lastError ?? new RemoteQueryError("query failed", null);
}
