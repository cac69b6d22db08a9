import { checkAnswerText } from "./answer";
import type { Decision } from "./bucket";
import { compactCheckBody } from "./compact-body";
import type { Config, ResolvedPolicy } from "./config";
import { rateLimitHeaderLines } from "./headers";
import { type HttpRequest, headerOf } from "./http1/parse";
import { type Http1Server, type HttpResponse, serveHttp1 } from "./http1/serve";
import type { Log } from "./log";
import type { Metrics } from "./metrics";
import { bucketKey, matchPolicy } from "./policy";
import {
  BadRequest,
  type CheckBody,
  checkBody,
  EnvoyRequest,
  envoyDuration,
  maxBody,
  parse,
  readJson,
  unitSeconds,
} from "./requests";
import type { Store } from "./stores/store";

export interface ServerDeps {
  config: () => Config;
  store: Store;
  metrics: Metrics;
  log: Log;
  ready: () => boolean;
  /**
   * Sent back as `X-Instance` on every response: with several processes sharing a port, a client (a
   * load balancer's health check, a deploy's canary comparison) can tell which one answered.
   */
  instance?: string;
}

/** Bounded label values: every bucket key shares one route label. */
function routeLabel(path: string): string {
  if (path.startsWith("/v1/buckets/")) return "/v1/buckets";
  return knownRoutes.has(path) ? path : "other";
}
const knownRoutes = new Set(["/v1/check", "/json", "/healthz", "/readyz", "/metrics"]);

/** Header lines as the listener writes them, back into name → value (for the in-process `fetch`). */
function headerRecord(h: Record<string, string> | string): Record<string, string> {
  if (typeof h !== "string") return h;
  const out: Record<string, string> = {};
  for (const line of h.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
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

/** The HTTP surface; `fetch` is usable in-process by tests and by Bun.serve alike. */
export function createServer(deps: ServerDeps) {
  const { metrics, log } = deps;
  let requestSeq = 0;
  let denials = 0;
  let draining = false;
  let listener: Http1Server | undefined;
  // A header value must not carry a line break (it would start a header of its own), and stays ASCII so
  // the hot route's answer needs no byte count.
  const instance = deps.instance?.replace(/[^\x20-\x7e]/g, "_");
  // X-Instance goes in with every response's headers: setting it afterwards would rebuild them on the hot path.
  const served: Record<string, string> = instance ? { "x-instance": instance } : {};
  const answerJson = (body: unknown, status = 200): HttpResponse => ({
    status,
    headers: { "content-type": "application/json", ...served },
    body: JSON.stringify(body),
  });
  const instanceLine = instance ? `x-instance: ${instance}\r\n` : "";
  const toResponse = (a: HttpResponse) =>
    new Response(a.body as BodyInit, { status: a.status, headers: headerRecord(a.headers) });
  const json = (body: unknown, status = 200) => toResponse(answerJson(body, status));
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
  const checkOk = metrics.httpSeconds.labels({ route: "/v1/check", code: "200" });
  // Counter children per policy object: a reload brings new policies, and the old ones' entries go with them.
  type Counters = Record<"allowed" | "denied" | "shadow_denied" | "near", { inc(): void }>;
  const policyCounters = new WeakMap<ResolvedPolicy, Counters>();
  const countersOf = (policy: ResolvedPolicy): Counters => {
    let c = policyCounters.get(policy);
    if (!c) {
      const of = (decision: string) => metrics.requests.labels({ policy: policy.name, decision });
      c = {
        allowed: of("allowed"),
        denied: of("denied"),
        shadow_denied: of("shadow_denied"),
        near: metrics.nearLimit.labels({ policy: policy.name }),
      };
      policyCounters.set(policy, c);
    }
    return c;
  };
  // X-Request-Id is read only when a line is logged: touching a Request's headers builds the whole header
  // object, which costs about as much as the bucket decision.
  const requestIdOf = (req: Request | HttpRequest) =>
    (req instanceof Request ? req.headers.get("x-request-id") : headerOf(req, "x-request-id")) ??
    `r${++requestSeq}`;

  type Decided = { policy: ResolvedPolicy; d: Decision; allowed: boolean };

  // The memory store decides synchronously; skipping a promise per decision is a large share of its cost.
  function decide(
    descriptors: Record<string, string>,
    hits: number,
    req: Request | HttpRequest,
  ): Decided | Promise<Decided> {
    const cfg = deps.config();
    const policy = matchPolicy(cfg, descriptors);
    const key = bucketKey(policy, descriptors);
    const started = performance.now();
    const store = deps.store;
    // A resolved policy carries its capacity and rate: it is the bucket's limits, without a copy per check.
    if (store.checkSync)
      return account(cfg, policy, key, store.checkSync(key, policy, hits), hits, started, req);
    return store.check(key, policy, hits).then((d) => account(cfg, policy, key, d, hits, started, req));
  }

  function account(
    cfg: Config,
    policy: ResolvedPolicy,
    key: string,
    d: Decision,
    hits: number,
    started: number,
    req: Request | HttpRequest,
  ): Decided {
    const seconds = (performance.now() - started) / 1000;
    metrics.decisionSeconds.observe(seconds);
    const decision = d.allowed ? "allowed" : policy.shadow ? "shadow_denied" : "denied";
    const counters = countersOf(policy);
    if (hits > 0) counters[decision].inc();
    if (d.allowed && d.remaining < policy.capacity * 0.2) counters.near.inc();
    // Denials come in floods when a client misbehaves; a sample tells the story without drowning the logs.
    if (!d.allowed && hits > 0 && denials++ % cfg.denySample === 0) {
      log("info", "denied", {
        request_id: requestIdOf(req),
        policy: policy.name,
        // The bucket, so an operator can tell one noisy client from many (a sample, not a census).
        key,
        decision,
        latency_ms: Math.round(seconds * 1e6) / 1000,
        sampled: `1/${cfg.denySample}`,
      });
    }
    return { policy, d, allowed: d.allowed || policy.shadow };
  }

  function checkParsed(
    raw: unknown,
    query: string,
    req: Request | HttpRequest,
  ): HttpResponse | Promise<HttpResponse> {
    return checkValid(checkBody(raw), query, req);
  }

  function checkValid(
    body: CheckBody,
    query: string,
    req: Request | HttpRequest,
  ): HttpResponse | Promise<HttpResponse> {
    const cfg = deps.config();
    if (body.domain !== undefined && body.domain !== cfg.domain)
      throw new BadRequest(`unknown domain "${body.domain}"`);
    const descriptors: Record<string, string> = {};
    for (const e of body.descriptors ?? []) descriptors[e.key] = e.value;
    if (body.key !== undefined) descriptors.key = body.key;
    const decided = decide(descriptors, body.hits, req);
    if (decided instanceof Promise) return decided.then((r) => checkAnswer(cfg, r, query));
    return checkAnswer(cfg, decided, query);
  }

  function checkAnswer(cfg: Config, { policy, d, allowed }: Decided, query: string): HttpResponse {
    const status =
      !allowed && (cfg.denyStatus === 429 || new URLSearchParams(query).get("status") === "429") ? 429 : 200;
    return {
      status,
      headers: rateLimitHeaderLines(policy, d, instanceLine),
      body: checkAnswerText(policy, d, allowed),
      // Policy names in headers are cut to a token's characters and in the body escaped; the instance is ASCII.
      ascii: true,
    };
  }

  /** An error as the client sees it: a 4xx with its message, or a logged 500. */
  function failed(
    err: unknown,
    req: Request | HttpRequest,
    routeName: string,
    started: number,
  ): HttpResponse {
    if (err instanceof BadRequest) return answerJson({ error: err.message }, err.status);
    log("error", "request failed", {
      request_id: requestIdOf(req),
      route: routeName,
      error: (err as Error).message,
      latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
    return answerJson({ error: "internal error" }, 500);
  }

  const observed = (routeName: string, a: HttpResponse, started: number): HttpResponse => {
    if (a.status === 200 && routeName === "/v1/check") checkOk.observe((performance.now() - started) / 1000);
    else observeHttp(routeName, a.status, (performance.now() - started) / 1000);
    return a;
  };

  /**
   * The hot route, the same behind both front doors: the body's text in, the answer out, every error
   * answered and the request timed. It skips the router's promise layers (each costs as much as the
   * bucket decision) and, for the memory store, stays synchronous.
   */
  function checkRoute(
    /** The body's text, or the body already read and checked (the compact form). */
    body: string | CheckBody,
    bytes: number,
    query: string,
    req: Request | HttpRequest,
    started: number,
  ): HttpResponse | Promise<HttpResponse> {
    let answer: HttpResponse | Promise<HttpResponse>;
    try {
      if (typeof body !== "string") answer = checkValid(body, query, req);
      else {
        if (bytes > maxBody) throw new BadRequest(`body larger than ${maxBody} bytes`, 413);
        let raw: unknown;
        try {
          raw = JSON.parse(body);
        } catch {
          throw new BadRequest("body is not valid JSON");
        }
        answer = checkParsed(raw, query, req);
      }
    } catch (err) {
      return observed("/v1/check", failed(err, req, "/v1/check", started), started);
    }
    if (answer instanceof Promise)
      return answer.then(
        (a) => observed("/v1/check", a, started),
        (err) => observed("/v1/check", failed(err, req, "/v1/check", started), started),
      );
    return observed("/v1/check", answer, started);
  }

  async function envoy(req: Request): Promise<Response> {
    const body = parse(EnvoyRequest, await readJson(req));
    const cfg = deps.config();
    if (body.domain !== cfg.domain) throw new BadRequest(`unknown domain "${body.domain}"`);
    const statuses = [];
    let over = false;
    for (const desc of body.descriptors) {
      const entries: Record<string, string> = {};
      for (const e of desc.entries) entries[e.key] = e.value;
      const decided = decide(entries, body.hits, req);
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
      return toResponse(await checkParsed(await readJson(req), query, req));
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
      const ok = !draining && deps.ready() && (await deps.store.ready());
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

  async function handle(req: Request): Promise<Response> {
    const started = performance.now();
    const { path, query } = splitUrl(req.url);
    if (path === "/v1/check" && req.method === "POST") {
      // The body's size is checked once read: reading Content-Length would build the header object.
      const text = await req.text();
      return toResponse(await checkRoute(text, text.length, query, req, started));
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

  /**
   * What the HTTP/1.1 listener calls. The hot route gets the parsed request as it is; every other route
   * goes through `handle` as a fetch Request, so both front doors answer alike.
   */
  function handleWire(r: HttpRequest): HttpResponse | Promise<HttpResponse> {
    const started = performance.now();
    if (r.path === "/v1/check" && r.method === "POST")
      return checkRoute(
        compactCheckBody(r.bodyBuf, r.bodyStart, r.bodyEnd) ?? r.text(),
        r.bodyLength,
        r.query,
        r,
        started,
      );
    return viaFetch(r);
  }

  async function viaFetch(r: HttpRequest): Promise<HttpResponse> {
    let req: Request;
    try {
      const headers = new Headers();
      for (let i = 0; i < r.headers.length; i += 2)
        headers.append(r.headers[i] as string, r.headers[i + 1] as string);
      const body = r.method === "GET" || r.method === "HEAD" ? null : r.bytes();
      req = new Request(`http://localhost${r.target}`, { method: r.method, headers, body });
    } catch (err) {
      return answerJson({ error: `malformed request: ${(err as Error).message}` }, 400);
    }
    const res = await handle(req);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      // Framing is the listener's business.
      if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection")
        headers[name] = value;
    });
    return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
  }

  return {
    /** Answers one request in-process; what Bun.serve calls, and what tests call directly. */
    fetch: handle,

    /** What the HTTP/1.1 listener calls for each parsed request; the in-process benchmark calls it too. */
    wire: handleWire,

    /** Listens with reusePort, so a new version can share the port during a handover. Returns the port. */
    start(opts: { port: number; hostname: string }): number {
      listener = serveHttp1({
        hostname: opts.hostname,
        port: opts.port,
        reusePort: true,
        idleTimeoutSeconds: 30,
        maxHeadBytes: 16 * 1024,
        // Bodies past this are refused unread; up to it, the handlers answer a body over maxBody with a
        // 413 and a message.
        maxBodyBytes: 16 * maxBody,
        handle: handleWire,
        onError: (err, req) =>
          log("error", "request failed", {
            request_id: requestIdOf(req),
            route: routeLabel(req.path),
            error: (err as Error).message,
          }),
      });
      return listener.port;
    },

    /**
     * Stops accepting at once (a process sharing the port takes every new connection), answers not-ready
     * and closes open connections after their next answer for `drainMs`, then closes idle ones and waits
     * for in-flight requests to finish.
     */
    async stop(drainMs = 0): Promise<void> {
      draining = true;
      // While draining, ask every client to close, so keep-alive clients move to the process that
      // shares the port before this one stops listening.
      listener?.drain();
      if (drainMs > 0) await Bun.sleep(drainMs);
      await listener?.stop();
      listener = undefined;
    },
  };
}
