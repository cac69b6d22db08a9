import { expect, test } from "bun:test";
import { TEST_TOKEN, testCore } from "../testing/core";

test("observations keep their query, labels and data redacted, numbers intact", () => {
  const { core, clock, db } = testCore();
  const b64 = Buffer.from(TEST_TOKEN).toString("base64");
  const o = core.observations.record({
    rule_kind: "webhook",
    rule: "gateway",
    query: `{service="gw"} |= "${TEST_TOKEN}"`,
    value: 3,
    labels: { alertname: "AuthErrors", client: b64 },
    data: { title: `client ${TEST_TOKEN} rejected`, count: 3, nested: [{ password: "hunter2hunter2" }] },
    observed_at: clock.now(),
  });
  const stored = core.observations.get(o.id);
  expect(stored).toEqual(o);
  expect(stored).toMatchObject({
    query: '{service="gw"} |= "[REDACTED]"',
    value: 3,
    labels: { alertname: "AuthErrors", client: "[REDACTED]" },
    data: { title: "client [REDACTED] rejected", count: 3, nested: [{ password: "[REDACTED]" }] },
  });
  expect(JSON.stringify(db.query("SELECT * FROM observations").all())).not.toContain(TEST_TOKEN);
});
