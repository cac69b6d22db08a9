import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});
