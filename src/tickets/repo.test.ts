import { describe, expect, test } from "bun:test";
import { testCore } from "../testing/core";

describe("ticket repo", () => {
  test("claims by priority, then age, and never twice", () => {
    const { core, clock, repo } = testCore();
    const low = repo.create({ title: "low", objective: "o", priority: "P4" }, "t");
    clock.advance(1000);
    const p2a = repo.create({ title: "p2 old", objective: "o", priority: "P2" }, "t");
    clock.advance(1000);
    const p2b = repo.create({ title: "p2 new", objective: "o", priority: "P2" }, "t");
    clock.advance(1000);
    const p1 = repo.create({ title: "urgent", objective: "o", priority: "P1" }, "t");
    const order = [1, 2, 3, 4].map((i) => core.tickets.claimNext(`w${i}`, 60_000)?.id);
    expect(order).toEqual([p1.id, p2a.id, p2b.id, low.id]);
    expect(core.tickets.claimNext("w5", 60_000)).toBeNull();
    expect(core.tickets.get(p1.id).lease_owner).toBe("w1");
    expect(core.tickets.get(p1.id).attempts).toBe(1);
  });

  test("an expired lease returns the ticket to pending with an event; renewals keep it", () => {
    const { core, clock, repo } = testCore();
    const a = repo.create({ title: "a", objective: "o" }, "t");
    const b = repo.create({ title: "b", objective: "o" }, "t");
    core.tickets.claimNext("alive", 10_000);
    core.tickets.claimNext("crashed", 10_000);
    clock.advance(8_000);
    expect(core.tickets.renewLease(a.id, "alive", 10_000)).toBe(true);
    expect(core.tickets.renewLease(a.id, "someone-else", 10_000)).toBe(false);
    clock.advance(5_000);
    expect(core.tickets.expireLeases()).toEqual([b.id]);
    expect(core.tickets.get(a.id).status).toBe("in_progress");
    const back = core.tickets.get(b.id);
    expect(back.status).toBe("pending");
    expect(back.lease_owner).toBeNull();
    const last = core.tickets.events(b.id).at(-1);
    expect(last?.data.reason).toBe("lease of crashed expired");
    // The worker whose lease expired can no longer act on the ticket.
    const again = core.tickets.claimNext("new-worker", 10_000);
    expect(again?.id).toBe(b.id);
    expect(again?.attempts).toBe(2);
    expect(() => core.tickets.transition(b.id, "verifying", "crashed", { leaseOwner: "crashed" })).toThrow(
      /not leased by crashed/,
    );
  });

  test("an open fingerprint is unique; a closed one can recur", () => {
    const { core, repo } = testCore();
    const first = repo.create(
      { title: "a", objective: "o", fingerprint: "inv:up", source: "invariant" },
      "m",
    );
    expect(() =>
      repo.create({ title: "a", objective: "o", fingerprint: "inv:up", source: "invariant" }, "m"),
    ).toThrow(/already has fingerprint/);
    core.tickets.transition(first.id, "cancelled", "p");
    const second = repo.create(
      { title: "a", objective: "o", fingerprint: "inv:up", source: "invariant", parent_id: first.id },
      "m",
    );
    expect(second.parent_id).toBe(first.id);
    expect(core.tickets.findOpenByFingerprint("inv:up")?.id).toBe(second.id);
  });

  test("events are append-only at the database level and numbered without gaps", () => {
    const { core, repo, db } = testCore();
    const t = repo.create({ title: "a", objective: "o" }, "t");
    core.tickets.addEvent(t.id, "note", "p", { text: "one" });
    core.tickets.addEvent(t.id, "note", "p", { text: "two" });
    expect(core.tickets.events(t.id).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(() => db.run("UPDATE ticket_events SET kind = 'x'")).toThrow(/append-only/);
    expect(() => db.run("DELETE FROM ticket_events")).toThrow(/append-only/);
  });

  test("secrets are redacted from events and context", () => {
    const { core, repo } = testCore();
    const t = repo.create(
      { title: "a", objective: "o", context: { header: "Authorization: Bearer abcdefghijklmnop" } },
      "t",
    );
    const e = core.tickets.addEvent(t.id, "tool_result", "agent", {
      output: "key sk-ant-api03-SECRETSECRETSECRET and test-token-0123456789",
    });
    expect(JSON.stringify(e.data)).not.toContain("SECRETSECRET");
    expect(JSON.stringify(e.data)).not.toContain("test-token-0123456789");
    expect(JSON.stringify(core.tickets.get(t.id).context)).not.toContain("abcdefghijklmnop");
  });

  test("every text of a ticket is stored redacted, in any encoding, and fingerprints still match", () => {
    const { core, repo, db } = testCore();
    const secret = "test-token-0123456789";
    const hex = Buffer.from(secret).toString("hex").toUpperCase();
    const url = [...Buffer.from(secret)].map((b) => `%${b.toString(16)}`).join("");
    const t = repo.create(
      {
        title: `leak ${secret}`,
        objective: `hex ${hex} url ${url}`,
        success_criteria: [{ query: `up{k="${secret}"}`, comparator: "==", threshold: 1 }],
        source: "webhook",
        source_ref: `src-${secret}`,
        fingerprint: `webhook:x:${secret}`,
      },
      "t",
    );
    expect(t).toMatchObject({
      title: "leak [REDACTED]",
      objective: "hex [REDACTED] url [REDACTED]",
      source_ref: "src-[REDACTED]",
      fingerprint: "webhook:x:[REDACTED]",
    });
    expect(t.success_criteria[0]?.query).toBe('up{k="[REDACTED]"}');
    // Callers look tickets up by the fingerprint they built, secret included.
    expect(core.tickets.findOpenByFingerprint(`webhook:x:${secret}`)?.id).toBe(t.id);
    expect(core.tickets.lastByFingerprint(`webhook:x:${secret}`)?.id).toBe(t.id);
    expect(() =>
      repo.create({ title: "again", objective: "o", fingerprint: `webhook:x:${secret}` }, "t"),
    ).toThrow(/already has fingerprint webhook:x:\[REDACTED\]/);
    core.tickets.claimNext("w", 60_000);
    const done = core.tickets.transition(t.id, "failed", "w", { resolution: `gave up: ${hex}` });
    expect(done.resolution).toBe("gave up: [REDACTED]");
    const stored = JSON.stringify([
      db.query("SELECT * FROM tickets").all(),
      db.query("SELECT * FROM ticket_events").all(),
    ]);
    for (const form of [secret, hex, url]) expect(stored).not.toContain(form);
  });

  test("list filters and text search", () => {
    const { core, repo } = testCore();
    repo.create({ title: "Capacity low", objective: "raise capacity", priority: "P2" }, "t");
    repo.create({ title: "Latency", objective: "p99 100%_done", source: "agent" }, "t");
    expect(core.tickets.list({ q: "capacity" }).total).toBe(1);
    expect(core.tickets.list({ q: "100%_" }).total).toBe(1);
    expect(core.tickets.list({ q: "%" }).total).toBe(1);
    expect(core.tickets.list({ source: "agent" }).items[0]?.title).toBe("Latency");
    expect(core.tickets.list({ priority: "P2" }).total).toBe(1);
    expect(core.tickets.list({ limit: 1 }).items.length).toBe(1);
  });
});
