import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { createApi } from "../api/server";
import { webhookRoutes } from "../api/webhooks";
import { TEST_TOKEN, testCore } from "../testing/core";

const secret = "hmac-secret-0123456789";

function setup() {
  const { core, db } = testCore();
  const api = createApi({
    core,
    token: TEST_TOKEN,
    health: () => ({ ok: true, roles: {} }),
    selfAuthenticated: ["/api/v1/webhooks/"],
    plugins: [webhookRoutes(core, { token: TEST_TOKEN, hmacSecret: secret })],
  });
  const post = async (
    path: string,
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${TEST_TOKEN}` },
  ) => {
    const raw = typeof body === "string" ? body : JSON.stringify(body);
    const res = await api.handle(
      new Request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: raw,
      }),
    );
    return {
      status: res.status,
      json: (await res.json()) as {
        status: string;
        data: { ticket_id: number; action: string };
        error?: string;
      },
    };
  };
  return { core, db, post };
}

// A payload as Alertmanager 0.25 sends it (webhook version 4).
const group = (status: "firing" | "resolved", alertStatus = status) => ({
  version: "4",
  groupKey: '{}:{alertname="HighDenials"}',
  truncatedAlerts: 0,
  status,
  receiver: "harness",
  groupLabels: { alertname: "HighDenials" },
  commonLabels: { alertname: "HighDenials", severity: "critical", job: "rate-limiter" },
  commonAnnotations: { summary: "Denial ratio above 30%" },
  externalURL: "http://alertmanager:9093",
  alerts: [
    {
      status: alertStatus,
      labels: { alertname: "HighDenials", severity: "critical", instance: "rl-0" },
      annotations: { summary: "Denial ratio above 30%" },
      startsAt: "2026-01-01T00:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph",
      fingerprint: "c0ffee",
    },
  ],
});

describe("Alertmanager webhook", () => {
  test("one ticket per group, retries are idempotent, later firings and resolution become events", async () => {
    const { core, post } = setup();
    const first = await post("/api/v1/webhooks/alertmanager", group("firing"));
    expect(first.status).toBe(201);
    const id = first.json.data.ticket_id;
    const t = core.tickets.get(id);
    expect(t.source).toBe("webhook");
    expect(t.priority).toBe("P1");
    expect(t.observation_id).not.toBeNull();
    const retry = await post("/api/v1/webhooks/alertmanager", group("firing"));
    expect(retry.json.data).toEqual({ ticket_id: id, action: "duplicate" });
    const again = {
      ...group("firing"),
      alerts: [...group("firing").alerts, { ...group("firing").alerts[0], fingerprint: "beef" }],
    };
    expect((await post("/api/v1/webhooks/alertmanager", again)).json.data.action).toBe("updated");
    const resolved = await post("/api/v1/webhooks/alertmanager", group("resolved"));
    expect(resolved.json.data).toEqual({ ticket_id: id, action: "noted" });
    expect(core.tickets.list({ source: "webhook" }).total).toBe(1);
    expect(core.tickets.events(id).map((e) => e.kind)).toEqual([
      "created",
      "still_firing",
      "alerts_resolved",
    ]);
  });

  test("HMAC signature is accepted; bad signatures and missing auth are 401", async () => {
    const { post } = setup();
    const raw = JSON.stringify(group("firing"));
    const sig = `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;
    expect((await post("/api/v1/webhooks/alertmanager", raw, { "x-harness-signature": sig })).status).toBe(
      201,
    );
    const tampered = raw.replace("HighDenials", "LowDenials");
    expect(
      (await post("/api/v1/webhooks/alertmanager", tampered, { "x-harness-signature": sig })).status,
    ).toBe(401);
    expect((await post("/api/v1/webhooks/alertmanager", raw, {})).status).toBe(401);
  });

  test.each([
    ["not JSON", "{nope", /not valid JSON/],
    ["wrong version", { ...group("firing"), version: "3" }, /version/],
    ["no alerts", { ...group("firing"), alerts: [] }, /alerts/],
  ])("rejects %s with 400", async (_n, body, message) => {
    const { post } = setup();
    const res = await post("/api/v1/webhooks/alertmanager", body);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(message);
  });
});

describe("generic webhook", () => {
  test("creates a ticket and de-duplicates by dedup_key", async () => {
    const { core, post } = setup();
    const body = { title: "Disk almost full", objective: "Free space", dedup_key: "disk-1", priority: "P2" };
    const a = await post("/api/v1/webhooks/generic", body);
    expect(a.status).toBe(201);
    const b = await post("/api/v1/webhooks/generic", { ...body, objective: "Free space now" });
    expect(b.json.data).toEqual({ ticket_id: a.json.data.ticket_id, action: "updated" });
    expect(core.tickets.get(a.json.data.ticket_id).priority).toBe("P2");
    expect((await post("/api/v1/webhooks/generic", { title: "" })).status).toBe(400);
  });
});

describe("secrets in webhook payloads", () => {
  // The API token is a secret the test core knows; senders paste such things into alerts.
  const b64 = Buffer.from(TEST_TOKEN).toString("base64");
  const forms = [TEST_TOKEN, b64.replace(/=+$/, "")];
  const leaked = (v: unknown) => forms.filter((f) => JSON.stringify(v).includes(f));

  test("a generic delivery is stored redacted and its retry is still answered as a duplicate", async () => {
    const { core, post, db } = setup();
    const body = {
      title: `Token ${TEST_TOKEN} rejected`,
      objective: `Rotate it; the client sent ${b64}`,
      dedup_key: `client-${TEST_TOKEN}`,
      source_name: "gateway",
      context: { header: `Authorization: Bearer ${TEST_TOKEN}`, encoded: b64 },
    };
    const first = await post("/api/v1/webhooks/generic", body);
    expect(first.status).toBe(201);
    const rows = db
      .query<{ payload: string; payload_hash: string }, []>(
        "SELECT payload, payload_hash FROM webhook_deliveries",
      )
      .all();
    expect(rows).toHaveLength(1);
    expect(leaked(rows)).toEqual([]);
    expect(JSON.parse(rows[0]?.payload ?? "{}")).toMatchObject({
      title: "Token [REDACTED] rejected",
      source_name: "gateway",
      context: { encoded: "[REDACTED]" },
    });
    // The same bytes again: recognised by the hash of the raw body, not by the redacted copy.
    const retry = await post("/api/v1/webhooks/generic", body);
    expect(retry.status).toBe(200);
    expect(retry.json.data).toEqual({ ticket_id: first.json.data.ticket_id, action: "duplicate" });
    // A new delivery for the same dedup key still finds the open ticket through its redacted fingerprint.
    const again = await post("/api/v1/webhooks/generic", { ...body, objective: "Rotate it now" });
    expect(again.json.data).toEqual({ ticket_id: first.json.data.ticket_id, action: "updated" });
    const t = core.tickets.get(first.json.data.ticket_id);
    const observation = core.observations.get(t.observation_id as number);
    expect(leaked([t, observation, core.tickets.events(t.id)])).toEqual([]);
  });

  test("an Alertmanager delivery with the secret in annotations and labels is stored redacted", async () => {
    const { core, post, db } = setup();
    const payload = group("firing");
    const leaky = {
      ...payload,
      commonLabels: { ...payload.commonLabels, client: b64 },
      commonAnnotations: { summary: `client sent ${TEST_TOKEN}` },
    };
    const res = await post("/api/v1/webhooks/alertmanager", leaky);
    expect(res.status).toBe(201);
    expect(leaked(db.query("SELECT payload FROM webhook_deliveries").all())).toEqual([]);
    const t = core.tickets.get(res.json.data.ticket_id);
    expect(leaked([t, core.observations.get(t.observation_id as number)])).toEqual([]);
    expect((await post("/api/v1/webhooks/alertmanager", leaky)).json.data.action).toBe("duplicate");
  });
});
