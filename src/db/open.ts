import { Database } from "bun:sqlite";
import { systemClock } from "../lib/clock";
import { AppError } from "../lib/errors";
import { migrations as coreMigrations, type Migration } from "./migrations";

/** Opens (creating if needed) a SQLite database in WAL mode and brings its schema up to date. */
export function openDatabase(path: string, migrations: Migration[] = coreMigrations): Database {
  const db = new Database(path, { create: true, strict: true });
  // Several roles (web, monitor, agent) may share the file from separate processes: wait for a lock before
  // anything else, since even switching to WAL needs one while another role writes.
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: Database, migrations: Migration[]): number[] {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const applied = new Set(
    db
      .query<{ version: number }, []>("SELECT version FROM schema_migrations")
      .all()
      .map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new AppError(
      "conflict",
      `database schema version ${newest} is newer than this harness knows (${known}); upgrade harness`,
    );
  }
  const done: number[] = [];
  const pending = migrations.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
  if (pending.length === 0) return done;
  // A migration may rebuild a table (SQLite's documented way to change a CHECK): foreign keys are off while
  // migrations run, as that procedure requires, and checked before the transaction commits.
  const fkOn = (db.query("PRAGMA foreign_keys").get() as { foreign_keys: number } | null)?.foreign_keys === 1;
  if (fkOn) db.exec("PRAGMA foreign_keys = OFF");
  try {
    // All pending migrations in one transaction: a failure leaves the database exactly as it was.
    db.transaction(() => {
      for (const m of pending) {
        db.exec(m.sql);
        db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
          m.version,
          m.name,
          // Only a note for people reading the table; no injected clock reaches a database being opened.
          systemClock.now(),
        );
        done.push(m.version);
      }
      const broken = db.query("PRAGMA foreign_key_check").all();
      if (broken.length > 0)
        throw new AppError("internal", `a migration left ${broken.length} rows with broken references`);
    }).immediate();
  } finally {
    if (fkOn) db.exec("PRAGMA foreign_keys = ON");
  }
  return done;
}
