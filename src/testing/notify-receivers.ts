import { createHmac, timingSafeEqual } from "node:crypto";

/** One request a fake receiver got, and what it answered. */
export interface Received {
  path: string;
  headers: Headers;
  raw: string;
  json: Record<string, unknown>;
  answered: number;
}

type Check = (req: Received) => { status: number; body: string } | null;

/**
 * A loopback server that speaks one receiver's format: it refuses what the real one refuses (with the real
 * one's status), and answers `failFirst` requests with a 500 before it recovers.
 */
async function fakeReceiver(check: Check, okStatus: number, okBody: (r: Received) => string, failFirst = 0) {
  const received: Received[] = [];
  let failures = failFirst;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const raw = await request.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(raw);
      } catch {}
      const r: Received = {
        path: new URL(request.url).pathname,
        headers: request.headers,
        raw,
        json,
        answered: 0,
      };
      received.push(r);
      if (failures > 0) {
        failures--;
        r.answered = 500;
        return new Response("internal error", { status: 500 });
      }
      const refused = check(r);
      r.answered = refused?.status ?? okStatus;
      return new Response(refused?.body ?? okBody(r), { status: r.answered });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    stop: () => server.stop(true),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Slack's incoming webhook: `text` (or blocks) required; answers `ok`, or `invalid_payload` with a 400. */
export const fakeSlack = (failFirst = 0) =>
  fakeReceiver(
    (r) => {
      const { text, blocks } = r.json;
      const blocksOk =
        blocks === undefined || (Array.isArray(blocks) && blocks.every((b) => isObject(b) && b.type));
      if (r.headers.get("content-type") !== "application/json" || typeof text !== "string" || !blocksOk)
        return { status: 400, body: "invalid_payload" };
      return null;
    },
    200,
    () => "ok",
    failFirst,
  );

/** A receiver that checks `X-Harness-Signature` against the raw body with `secret`, as docs tell people to. */
export const fakeWebhook = (secret: string, failFirst = 0) =>
  fakeReceiver(
    (r) => {
      const given = /^sha256=([0-9a-f]{64})$/.exec(r.headers.get("x-harness-signature") ?? "")?.[1] ?? "";
      const expected = createHmac("sha256", secret).update(r.raw).digest("hex");
      const ok = given.length === 64 && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      return ok ? null : { status: 401, body: "bad signature" };
    },
    200,
    () => "{}",
    failFirst,
  );

const severities = ["critical", "error", "warning", "info"];

/** PagerDuty Events API v2 (`/v2/enqueue`): 202 with the dedup_key, or 400 "invalid event" naming the error. */
export const fakePagerDuty = (failFirst = 0) =>
  fakeReceiver(
    (r) => {
      const e = r.json;
      const errors: string[] = [];
      if (r.path !== "/v2/enqueue") return { status: 404, body: "not found" };
      if (typeof e.routing_key !== "string" || e.routing_key === "") errors.push("routing_key is required");
      if (!["trigger", "acknowledge", "resolve"].includes(e.event_action as string))
        errors.push("event_action is invalid");
      if (e.event_action !== "trigger" && typeof e.dedup_key !== "string")
        errors.push("dedup_key is required");
      if (typeof e.dedup_key === "string" && e.dedup_key.length > 255) errors.push("dedup_key is too long");
      if (e.event_action === "trigger") {
        const p = isObject(e.payload) ? e.payload : {};
        if (typeof p.summary !== "string" || p.summary.length > 1024)
          errors.push("payload.summary is invalid");
        if (typeof p.source !== "string" || p.source === "") errors.push("payload.source is required");
        if (!severities.includes(p.severity as string)) errors.push("payload.severity is invalid");
      }
      return errors.length
        ? {
            status: 400,
            body: JSON.stringify({ status: "invalid event", message: "Event object is invalid", errors }),
          }
        : null;
    },
    202,
    (r) => JSON.stringify({ status: "success", message: "Event processed", dedup_key: r.json.dedup_key }),
    failFirst,
  );
