import { z } from "zod";
import type { Decision } from "./bucket";
import { type Config, matchPolicy, type ResolvedPolicy } from "./config";
import { rateLimitHeaders } from "./headers";
import type { Log } from "./log";
import type { Metrics } from "./metrics";
import type { Store } from "./store";

const maxBody = 64 * 1024;

const Descriptor = z.object({ key: z.string().min(1).max(256), value: z.string().max(1024) });
const CheckBody = z
  .object({
    key: z.string().min(1).max(1024).optional(),
    domain: z.string().max(256).optional(),
    descriptors: z.array(Descriptor).max(32).optional(),
    hits: z
      .number()
      .int("hits must be a whole number")
      .min(0, "hits must not be negative")
      .max(1_000_000)
      .default(1),
  })
  .refine((b) => b.key !== undefined || (b.descriptors?.length ?? 0) > 0, {
    message: "give a key or descriptors",
  });

const EnvoyRequest = z.object({
  domain: z.string().min(1),
  descriptors: z.array(z.object({ entries: z.array(Descriptor).min(1) })).min(1),
  hits_addend: z.number().int().min(0).optional(),
});

export interface ServerDeps {
  config: () => Config;
  store: Store;
  metrics: Metrics;
  log: Log;
  ready: () => boolean;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

async function readJson(req: Request): Promise<unknown> {
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > maxBody) throw new BadRequest(`body larger than ${maxBody} bytes`, 413);
  const text = await req.text();
  if (text.length > maxBody) throw new BadRequest(`body larger than ${maxBody} bytes`, 413);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("body is not valid JSON");
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BadRequest(`${i?.path.join(".") ? `${i?.path.join(".")}: ` : ""}${i?.message}`);
  }
  return r.data;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

let requestSeq = 0;

/** The HTTP surface; `fetch` is usable in-process by tests and by Bun.serve alike. */
export function createServer(deps: ServerDeps) {
  const { metrics, log } = deps;
  // Label lookups dominate prom-client's cost on the hot path; keep one child per (route, code).
  const httpChildren = new Map<string, { observe(v: number): void }>();
  const observeHttp = (route: string, code: number, seconds: number) => {
    const key = `${route} ${code}`;
    let child = httpChildren.get(key);
    if (!child) {
      child = metrics.httpSeconds.labels({ route, code: String(code) });
      httpChildren.set(key, child);
    }
    child.observe(seconds);
  };
  const decisionChildren = new Map<string, { inc(): void }>();
  const countDecision = (policy: string, decision: string) => {
    const key = `${policy} ${decision}`;
    let child = decisionChildren.get(key);
    if (!child) {
      child = metrics.requests.labels({ policy, decision });
      decisionChildren.set(key, child);
    }
    child.inc();
  };

  async function decide(
    descriptors: Record<string, string>,
    hits: number,
    requestId: string,
  ): Promise<{ policy: ResolvedPolicy; d: Decision; allowed: boolean }> {
    const cfg = deps.config();
    const policy = matchPolicy(cfg, descriptors);
    const key = `${policy.name}|${Object.entries(descriptors)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join("|")}`;
    const started = performance.now();
    const d = await deps.store.check(
      key,
      { capacity: policy.capacity, refillPerSecond: policy.refillPerSecond },
      hits,
    );
    metrics.decisionSeconds.observe((performance.now() - started) / 1000);
    const decision = d.allowed ? "allowed" : policy.shadow ? "shadow_denied" : "denied";
    if (hits > 0) countDecision(policy.name, decision);
    if (d.allowed && d.remaining < policy.capacity * 0.2) metrics.nearLimit.inc({ policy: policy.name });
    if (!d.allowed && requestSeq % cfg.denySample === 0) {
      log("info", "denied", {
        request_id: requestId,
        policy: policy.name,
        decision,
        sampled: `1/${cfg.denySample}`,
      });
    }
    return { policy, d, allowed: d.allowed || policy.shadow };
  }

  async function check(req: Request, url: URL, requestId: string): Promise<Response> {
    const body = parse(CheckBody, await readJson(req));
    const cfg = deps.config();
    if (body.domain !== undefined && body.domain !== cfg.domain)
      throw new BadRequest(`unknown domain "${body.domain}"`);
    const descriptors: Record<string, string> = {};
    for (const e of body.descriptors ?? []) descriptors[e.key] = e.value;
    if (body.key !== undefined) descriptors.key = body.key;
    const { policy, d, allowed } = await decide(descriptors, body.hits, requestId);
    const status =
      !allowed && (cfg.denyStatus === 429 || url.searchParams.get("status") === "429") ? 429 : 200;
    return json(
      {
        allowed,
        limit: policy.capacity,
        remaining: d.remaining,
        reset_after_ms: d.resetAfterMs,
        retry_after_ms: Number.isFinite(d.retryAfterMs) ? d.retryAfterMs : -1,
        policy: policy.name,
        ...(policy.shadow && !d.allowed ? { shadow_denied: true } : {}),
      },
      status,
      rateLimitHeaders(policy, d),
    );
  }

  async function envoy(req: Request, requestId: string): Promise<Response> {
    const body = parse(EnvoyRequest, await readJson(req));
    const cfg = deps.config();
    if (body.domain !== cfg.domain) throw new BadRequest(`unknown domain "${body.domain}"`);
    const statuses = [];
    let over = false;
    for (const desc of body.descriptors) {
      const entries: Record<string, string> = {};
      for (const e of desc.entries) entries[e.key] = e.value;
      const { policy, d, allowed } = await decide(entries, body.hits_addend ?? 1, requestId);
      if (!allowed) over = true;
      const unitSeconds = { second: 1, minute: 60, hour: 3600, day: 86_400 }[policy.unit];
      statuses.push({
        code: allowed ? "OK" : "OVER_LIMIT",
        current_limit: {
          requests_per_unit: Math.round(policy.refillPerSecond * unitSeconds),
          unit: policy.unit.toUpperCase(),
        },
        limit_remaining: d.remaining,
        duration_until_reset: `${(d.resetAfterMs / 1000).toFixed(3).replace(/\.?0+$/, "")}s`,
      });
    }
    return json({ overall_code: over ? "OVER_LIMIT" : "OK", statuses });
  }

  async function route(req: Request, url: URL, requestId: string): Promise<[string, Response]> {
    const p = url.pathname;
    if (p === "/v1/check" && req.method === "POST") return ["/v1/check", await check(req, url, requestId)];
    if (p === "/json" && req.method === "POST") return ["/json", await envoy(req, requestId)];
    if (p.startsWith("/v1/buckets/") && req.method === "GET") {
      const key = decodeURIComponent(p.slice("/v1/buckets/".length));
      const policy = matchPolicy(deps.config(), { key });
      const state = deps.store.peek(`${policy.name}|key=${key}`);
      return [
        "/v1/buckets",
        json({
          key,
          policy: policy.name,
          capacity: policy.capacity,
          refill_per_second: policy.refillPerSecond,
          tokens: state ? state.tokens : policy.capacity,
          updated_ms: state?.updatedMs ?? null,
        }),
      ];
    }
    if (p === "/healthz") return ["/healthz", json({ status: "ok" })];
    if (p === "/readyz") {
      const ok = deps.ready() && (await deps.store.ready());
      return ["/readyz", json({ ready: ok, config_hash: deps.config().hash }, ok ? 200 : 503)];
    }
    if (p === "/metrics") {
      const size = deps.store.size();
      const max = deps.config().store.max_keys;
      metrics.trackedKeys.set(size);
      metrics.keyCapacity.set(max);
      metrics.keyCapacityUsed.set(size / max);
      return [
        "/metrics",
        new Response(await metrics.registry.metrics(), {
          headers: { "content-type": metrics.registry.contentType },
        }),
      ];
    }
    return ["other", json({ error: `no route ${req.method} ${p}` }, 404)];
  }

  return {
    async fetch(req: Request): Promise<Response> {
      const started = performance.now();
      const requestId = req.headers.get("x-request-id") ?? `r${++requestSeq}`;
      const url = new URL(req.url);
      let routeName = "other";
      let res: Response;
      try {
        [routeName, res] = await route(req, url, requestId);
      } catch (err) {
        if (err instanceof BadRequest) res = json({ error: err.message }, err.status);
        else {
          metrics.storeErrors.inc({ op: "check" });
          log("error", "request failed", { request_id: requestId, error: (err as Error).message });
          res = json({ error: "internal error" }, 500);
        }
      }
      observeHttp(routeName, res.status, (performance.now() - started) / 1000);
      return res;
    },
  };
}
