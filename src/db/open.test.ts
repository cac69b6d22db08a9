import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultAnomalies } from "../rules/anomalies";
import { migrations } from "./migrations";
import { applyMigrations, openDatabase } from "./open";

const latest = Math.max(...migrations.map((m) => m.version));

describe("migrations", () => {
  test("apply to an empty database and are idempotent on an existing one", () => {
    const path = join(mkdtempSync(join(tmpdir(), "harness-db-")), "h.db");
    const db = openDatabase(path);
    db.run(
      "INSERT INTO tickets (title, objective, source, priority, status, created_at, updated_at) VALUES ('kept', 'o', 'human', 3, 'pending', 1, 1)",
    );
    db.close();
    const again = openDatabase(path);
    expect(again.query("SELECT title FROM tickets").get()).toEqual({ title: "kept" });
    expect(again.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({
      n: migrations.length,
    });
    expect(again.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
  });

  test("a failing migration leaves the database as it was", () => {
    const db = openDatabase(":memory:");
    const broken = [
      { version: 20, name: "020_ok.sql", sql: "CREATE TABLE extra (x INTEGER);" },
      { version: 21, name: "021_bad.sql", sql: "CREATE TABLE broken (;" },
    ];
    expect(() => applyMigrations(db, broken)).toThrow();
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeNull();
    expect(db.query("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({ v: latest });
  });

  test("refuses a database from a newer harness", () => {
    const db = openDatabase(":memory:");
    db.run("INSERT INTO schema_migrations VALUES (99, 'future.sql', 0)");
    expect(() => applyMigrations(db, [])).toThrow(/newer than this harness knows/);
  });

  test("008 gives the shipped anomaly detectors their floors, and leaves edited ones alone", () => {
    const db = openDatabase(
      ":memory:",
      migrations.filter((m) => m.version < 8),
    );
    const insert = db.query(
      "INSERT INTO anomalies (name, query, method, sensitivity, window_ms, min_history_ms, cooldown_ms, severity, created_at, updated_at) VALUES (?, ?, 'mad', 4, 1, 1, 1, 'warning', 0, 0)",
    );
    const old =
      'sum(rate(ratelimiter_requests_total{job="rate-limiter",decision="denied"}[5m])) / sum(rate(ratelimiter_requests_total{job="rate-limiter"}[5m]))';
    insert.run("DenialRatioAnomaly", old);
    insert.run("P99LatencyAnomaly", "my own p99");
    db.run(
      "INSERT INTO anomalies (name, query, method, sensitivity, window_ms, min_history_ms, cooldown_ms, severity, created_at, updated_at) VALUES ('RequestRateAnomaly', ?, 'seasonal', 4, 1, 1, 1, 'warning', 0, 0)",
      [defaultAnomalies[0]?.query ?? ""],
    );
    applyMigrations(db, migrations);
    const rows = db.query("SELECT name, query, min_change, for_ms FROM anomalies ORDER BY name").all();
    expect(rows).toEqual([
      {
        name: "DenialRatioAnomaly",
        // the same query a fresh harness ships
        query: defaultAnomalies.find((a) => a.name === "DenialRatioAnomaly")?.query,
        min_change: 0.05,
        for_ms: 0,
      },
      { name: "P99LatencyAnomaly", query: "my own p99", min_change: 0, for_ms: 0 },
      { name: "RequestRateAnomaly", query: defaultAnomalies[0]?.query, min_change: 0, for_ms: 300_000 },
    ]);
  });

  test("010 rebuilds tickets for answered and needs_human, keeping every row, reference and guard", () => {
    const db = openDatabase(
      ":memory:",
      migrations.filter((m) => m.version < 10),
    );
    db.run(
      "INSERT INTO tickets (title, objective, source, priority, status, fingerprint, created_at, updated_at) VALUES ('a', 'o', 'invariant', 1, 'pending', 'invariant:Up', 1, 1)",
    );
    db.run(
      "INSERT INTO tickets (title, objective, source, priority, status, parent_id, created_at, updated_at) VALUES ('b', 'o', 'agent', 3, 'failed', 1, 2, 2)",
    );
    db.run("INSERT INTO ticket_events (ticket_id, seq, ts, kind, actor) VALUES (1, 1, 1, 'created', 'm')");
    db.run(
      "INSERT INTO deploys (ticket_id, commit_sha, status, stage, started_at) VALUES (2, 'abc', 'failed', 'check', 3)",
    );
    applyMigrations(db, migrations);
    expect(db.query("SELECT id, title, status, parent_id FROM tickets ORDER BY id").all()).toEqual([
      { id: 1, title: "a", status: "pending", parent_id: null },
      { id: 2, title: "b", status: "failed", parent_id: 1 },
    ]);
    expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    db.run("UPDATE tickets SET status = 'answered' WHERE id = 1");
    db.run("UPDATE tickets SET status = 'needs_human' WHERE id = 2");
    expect(() => db.run("UPDATE tickets SET status = 'bogus' WHERE id = 1")).toThrow(/CHECK/);
    // An answered ticket is closed: its fingerprint may open again; two open ones may not.
    const open =
      "INSERT INTO tickets (title, objective, source, priority, status, fingerprint, created_at, updated_at) VALUES ('c', 'o', 'invariant', 1, 'pending', 'invariant:Up', 4, 4)";
    db.run(open);
    expect(() => db.run(open)).toThrow(/UNIQUE/);
    // The history stays append-only and still references its ticket.
    expect(() => db.run("DELETE FROM ticket_events")).toThrow(/append-only/);
    expect(() =>
      db.run("INSERT INTO ticket_events (ticket_id, seq, ts, kind, actor) VALUES (99, 1, 1, 'x', 'm')"),
    ).toThrow(/FOREIGN KEY/);
  });
});
