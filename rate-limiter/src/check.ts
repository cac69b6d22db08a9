import { checkAnswerText } from "./answer";
import type { Decision } from "./bucket";
import type { Config, ResolvedPolicy } from "./config";
import { rateLimitHeaderLines } from "./headers";
import type { HttpRequest } from "./http1/parse";
import type { HttpResponse } from "./http1/serve";
import { bucketKey, matchPolicy } from "./policy";
import type { Replies } from "./replies";
import { BadRequest, type CheckBody, checkBody, maxBody } from "./requests";
import type { ServerDeps } from "./server";

export type Decided = { policy: ResolvedPolicy; d: Decision; allowed: boolean };

/**
 * The check path: descriptors in, a bucket decision out, counted, sampled into the log and answered. The
 * hot route (`checkRoute`) is the same behind both front doors; `decide` also serves the Envoy route.
 */
export function createCheckPath(
  deps: Pick<ServerDeps, "config" | "store" | "metrics" | "log">,
  replies: Replies,
) {
  const { metrics, log } = deps;
  const { failed, observeHttp, requestIdOf, instanceLine } = replies;
  let denials = 0;
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

  return { decide, checkParsed, checkRoute };
}

export type CheckPath = ReturnType<typeof createCheckPath>;
