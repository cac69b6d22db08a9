import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { connect, type Socket } from "node:net";
import { createApi } from "../api/server";
import { webhookRoutes } from "../api/webhooks";
import { TEST_TOKEN, testCore } from "../testing/core";
import { WEBHOOK_MAX_BYTES } from "./receive";

// Over a real socket: an in-process Request cannot show that a body was left unread.
const secret = "hmac-secret-0123456789";
const { core } = testCore();
const api = createApi({
  core,
  token: TEST_TOKEN,
  health: () => ({ ok: true, roles: {} }),
  selfAuthenticated: ["/api/v1/webhooks/"],
  plugins: [webhookRoutes(core, { token: TEST_TOKEN, hmacSecret: secret })],
});
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => api.handle(req) });
});
afterAll(() => server.stop(true));

const path = "/api/v1/webhooks/generic";

/** Sends a request head, then lets the test feed the body; `status` is the answer's status code. */
function open(headers: Record<string, string>): { socket: Socket; status: Promise<number> } {
  const socket = connect(server.port as number, "127.0.0.1");
  const head = Object.entries({ host: "localhost", "content-type": "application/json", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  const status = new Promise<number>((resolve, reject) => {
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) resolve(Number(m[1]));
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`closed before an answer: ${got}`)));
  });
  return { socket, status };
}

/** Feeds chunked body data every few milliseconds until the socket closes: a body that never ends. */
function dripForever(socket: Socket, chunk = 1024): () => void {
  const data = `${chunk.toString(16)}\r\n${"x".repeat(chunk)}\r\n`;
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(data);
  }, 5);
  return () => clearInterval(timer);
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, Bun.sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);

describe("webhook limits", () => {
  test("no credentials and a body that never ends: 401 at once, the body is never read", async () => {
    const { socket, status } = open({ "transfer-encoding": "chunked" });
    const stop = dripForever(socket);
    try {
      // Reading the drip up to the 1 MiB cap would take seconds (and answer 413).
      expect(await within(status, 1500)).toBe(401);
    } finally {
      stop();
      socket.destroy();
    }
  });

  test("a wrong bearer without a signature is refused before reading, too", async () => {
    const { socket, status } = open({ "transfer-encoding": "chunked", authorization: "Bearer wrong" });
    const stop = dripForever(socket);
    try {
      expect(await within(status, 1500)).toBe(401);
    } finally {
      stop();
      socket.destroy();
    }
  });

  test("a declared 2 MiB body with a valid bearer: 413 before a byte of it is sent", async () => {
    const { socket, status } = open({
      authorization: `Bearer ${TEST_TOKEN}`,
      "content-length": String(2 * 2 ** 20),
    });
    try {
      expect(await within(status, 1500)).toBe(413);
    } finally {
      socket.destroy();
    }
  });

  test("a chunked body past 1 MiB with a valid bearer is cut off at the cap: 413", async () => {
    const { socket, status } = open({
      "transfer-encoding": "chunked",
      authorization: `Bearer ${TEST_TOKEN}`,
    });
    const stop = dripForever(socket, 64 * 1024);
    try {
      expect(await within(status, 5000)).toBe(413);
    } finally {
      stop();
      socket.destroy();
    }
  });

  test("a 2 MiB body with a valid bearer through fetch: 413 with the error envelope", async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "big", objective: "x".repeat(2 * WEBHOOK_MAX_BYTES) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain("webhook body");
  });

  test("a valid HMAC delivery (non-ASCII text included) is still accepted over the socket", async () => {
    const raw = JSON.stringify({ title: "Disque presque plein — 95 %", objective: "libérer de la place" });
    const signature = `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;
    const send = (sig: string) =>
      fetch(`http://127.0.0.1:${server.port}${path}`, {
        method: "POST",
        headers: { "x-harness-signature": sig, "content-type": "application/json" },
        body: raw,
      });
    const ok = await send(signature);
    expect(ok.status).toBe(201);
    const id = ((await ok.json()) as { data: { ticket_id: number } }).data.ticket_id;
    expect(core.tickets.get(id).title).toBe("Disque presque plein — 95 %");
    const forged = `sha256=${createHmac("sha256", "not-the-secret").update(raw).digest("hex")}`;
    expect((await send(forged)).status).toBe(401);
  });
});
