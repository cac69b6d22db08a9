import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { FakeClock } from "../lib/clock";
import { sqliteRevocations } from "./revocations";
import { createSessions, SESSION_COOKIE, SESSION_TTL_MS } from "./session";

const TOKEN = "session-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "harness-sessions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cookie = (value: string) => `${SESSION_COOKIE}=${value}`;

describe("sessions", () => {
  test("a logout in one process is refused by another sharing the database file", () => {
    const file = join(dir, "shared.db");
    const clock = new FakeClock();
    // Two connections to one file, as two roles in two processes have.
    const a = createSessions(TOKEN, () => clock.now(), sqliteRevocations(openDatabase(file)));
    const b = createSessions(TOKEN, () => clock.now(), sqliteRevocations(openDatabase(file)));
    const kept = a.issue().value;
    const dropped = a.issue().value;
    expect(dropped).not.toBe(kept);
    expect(b.read(cookie(dropped))).toBe(dropped);
    a.revoke(dropped);
    expect(a.read(cookie(dropped))).toBeNull();
    expect(b.read(cookie(dropped))).toBeNull();
    expect(b.read(cookie(kept))).toBe(kept);
  });

  test("forged, tampered and expired cookies are refused", () => {
    const clock = new FakeClock();
    const s = createSessions(TOKEN, () => clock.now());
    const value = s.issue().value;
    const [expires, nonce, mac] = value.split(".");
    const later = `${Number(expires) + SESSION_TTL_MS}.${nonce}.${mac}`;
    const forged = createSessions("another-token-0123456789", () => clock.now()).issue().value;
    for (const bad of [later, forged, `${expires}.${mac}`, "", "x.y.z"])
      expect(s.read(cookie(bad))).toBeNull();
    clock.advance(SESSION_TTL_MS + 1);
    expect(s.read(cookie(value))).toBeNull();
  });

  test("revocations are pruned once their session would have expired", () => {
    const clock = new FakeClock();
    const db = openDatabase(":memory:");
    const s = createSessions(TOKEN, () => clock.now(), sqliteRevocations(db));
    s.revoke(s.issue().value);
    const count = () => (db.query("SELECT COUNT(*) AS n FROM revoked_sessions").get() as { n: number }).n;
    expect(count()).toBe(1);
    clock.advance(SESSION_TTL_MS + 1);
    s.revoke(s.issue().value);
    expect(count()).toBe(1);
  });
});
