import { fromPromJson } from "./prom-format";
import type { MetricsBackend, QueryResult } from "./types";

export interface RemoteAuth {
  /** Grafana Cloud: instance id as username, access token as password. */
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
}

export interface PrometheusBackendOptions {
  url: string;
  auth?: RemoteAuth;
  timeoutMs?: number;
  retries?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
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

/** Any Prometheus-compatible query API (Prometheus, Grafana Cloud, Mimir, VictoriaMetrics) over HTTP. */
export function createPrometheusBackend(opts: PrometheusBackendOptions): MetricsBackend {
  const base = opts.url.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 2;
  const retryBaseMs = opts.retryBaseMs ?? 200;

  async function call(path: string, params: Record<string, string>): Promise<QueryResult> {
    let lastError: RemoteQueryError | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await Bun.sleep(retryBaseMs * 2 ** (attempt - 1));
      let res: Response;
      try {
        res = await doFetch(`${base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...authHeaders(opts.auth) },
          body: new URLSearchParams(params).toString(),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        lastError = new RemoteQueryError(`cannot reach ${base}: ${(err as Error).message}`, null);
        continue;
      }
      const body = (await res.json().catch(() => null)) as {
        status?: string;
        data?: { resultType: string; result: unknown };
        error?: string;
      } | null;
      if (res.ok && body?.status === "success" && body.data) return fromPromJson(body.data);
      lastError = new RemoteQueryError(body?.error ?? `HTTP ${res.status} from ${base}${path}`, res.status);
      // Bad queries (4xx other than 429) will not improve by retrying.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) break;
    }
    throw lastError ?? new RemoteQueryError("query failed", null);
  }

  return {
    kind: "prometheus",
    instantQuery: (expr, timeMs) => call("/api/v1/query", { query: expr, time: String(timeMs / 1000) }),
    rangeQuery: (expr, startMs, endMs, stepMs) =>
      call("/api/v1/query_range", {
        query: expr,
        start: String(startMs / 1000),
        end: String(endMs / 1000),
        step: String(stepMs / 1000),
      }),
  };
}
