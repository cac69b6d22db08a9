import type { CheckPath } from "./check";
import { bucketKey, matchPolicy } from "./policy";
import type { Replies } from "./replies";
import { BadRequest, EnvoyRequest, envoyDuration, parse, readJson, unitSeconds } from "./requests";
import type { ServerDeps } from "./server";

const knownRoutes = new Set(["/v1/check", "/json", "/healthz", "/readyz", "/metrics"]);

/** Bounded label values: every bucket key shares one route label. */
export function routeLabel(path: string): string {
  if (path.startsWith("/v1/buckets/")) return "/v1/buckets";
  return knownRoutes.has(path) ? path : "other";
}

/** Path and query of an absolute request URL, without the cost of a URL object on every request. */
export function splitUrl(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { path: "/", query: "" };
  const hash = url.indexOf("#", start);
  const end = hash >= 0 ? hash : url.length;
  const q = url.indexOf("?", start);
  if (q < 0 || q > end) return { path: url.slice(start, end), query: "" };
  return { path: url.slice(start, q), query: url.slice(q + 1, end) };
}

/**
 * Every route as a fetch handler: the check (taking the hot path's code), the Envoy-compatible `/json`,
 * bucket inspection, health, readiness and metrics. `draining` answers not-ready while the listener stops.
 */
export function createRoutes(
  deps: Pick<ServerDeps, "config" | "store" | "metrics" | "ready">,
  replies: Replies,
  check: CheckPath,
  draining: () => boolean,
) {
  const { metrics } = deps;
  const { json, toResponse, failed, observeHttp, served } = replies;

  async function envoy(req: Request): Promise<Response> {
    const body = parse(EnvoyRequest, await readJson(req));
    const cfg = deps.config();
    if (body.domain !== cfg.domain) throw new BadRequest(`unknown domain "${body.domain}"`);
    const statuses = [];
    let over = false;
    for (const desc of body.descriptors) {
      const entries: Record<string, string> = {};
      for (const e of desc.entries) entries[e.key] = e.value;
      const decided = check.decide(entries, body.hits, req);
      const { policy, d, allowed } = decided instanceof Promise ? await decided : decided;
      if (!allowed) over = true;
      statuses.push({
        code: allowed ? "OK" : "OVER_LIMIT",
        current_limit: {
          requests_per_unit: Math.round(policy.refillPerSecond * unitSeconds[policy.unit]),
          unit: policy.unit.toUpperCase(),
        },
        limit_remaining: d.remaining,
        duration_until_reset: envoyDuration(d.resetAfterMs),
      });
    }
    // Like envoyproxy/ratelimit's /json handler: OVER_LIMIT answers 429.
    return json({ overall_code: over ? "OVER_LIMIT" : "OK", statuses }, over ? 429 : 200);
  }

  async function route(req: Request, p: string, query: string): Promise<Response> {
    const only = (method: string) => {
      if (req.method !== method) throw new BadRequest(`${routeLabel(p)} takes ${method}`, 405);
    };
    if (p === "/v1/check") {
      only("POST");
      return toResponse(await check.checkParsed(await readJson(req), query, req));
    }
    if (p === "/json") {
      only("POST");
      return await envoy(req);
    }
    if (p.startsWith("/v1/buckets/")) {
      only("GET");
      let key: string;
      try {
        key = decodeURIComponent(p.slice("/v1/buckets/".length));
      } catch {
        throw new BadRequest("key is not valid percent-encoding");
      }
      if (key === "") throw new BadRequest("give a key: /v1/buckets/<key>");
      const policy = matchPolicy(deps.config(), { key });
      const state = await deps.store
        .inspect(bucketKey(policy, { key }), {
          capacity: policy.capacity,
          refillPerSecond: policy.refillPerSecond,
        })
        .catch(() => {
          throw new BadRequest("store unavailable", 503);
        });
      return json({
        key,
        policy: policy.name,
        capacity: policy.capacity,
        refill_per_second: policy.refillPerSecond,
        tokens: state ? state.tokens : policy.capacity,
        tracked: state !== undefined,
        updated_ms: state?.updatedMs ?? null,
      });
    }
    if (p === "/healthz") return json({ status: "ok" });
    if (p === "/readyz") {
      const ok = !draining() && deps.ready() && (await deps.store.ready());
      const hash = deps.config().hash;
      return json({ ready: ok, config_hash: hash, hash }, ok ? 200 : 503);
    }
    if (p === "/metrics") {
      const size = deps.store.size();
      const max = deps.config().store.max_keys;
      if (size >= 0) {
        metrics.trackedKeys.set(size);
        metrics.keyCapacity.set(max);
        metrics.keyCapacityUsed.set(size / max);
      } else {
        // Redis counts by SCAN at scrape time; its capacity is Redis's memory, not max_keys, so only the
        // count is exported.
        const counted = await deps.store.countKeys?.();
        if (counted !== undefined) metrics.trackedKeys.set(counted);
      }
      return new Response(await metrics.registry.metrics(), {
        headers: { "content-type": metrics.registry.contentType, ...served },
      });
    }
    return json({ error: `no route ${req.method} ${p}` }, 404);
  }

  /** Answers one request in-process; what Bun.serve calls, and what tests call directly. */
  async function handle(req: Request): Promise<Response> {
    const started = performance.now();
    const { path, query } = splitUrl(req.url);
    if (path === "/v1/check" && req.method === "POST") {
      // The body's size is checked once read: reading Content-Length would build the header object.
      const text = await req.text();
      return toResponse(await check.checkRoute(text, text.length, query, req, started));
    }
    const routeName = routeLabel(path);
    let res: Response;
    try {
      res = await route(req, path, query);
    } catch (err) {
      res = toResponse(failed(err, req, routeName, started));
    }
    observeHttp(routeName, res.status, (performance.now() - started) / 1000);
    return res;
  }

  return { handle };
}
