import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";

/**
 * Logged-out sessions, remembered until they would have expired anyway. Only a hash of the cookie is stored, so
 * the table (or a memory dump) holds nothing a client could present.
 */
export interface RevocationStore {
  revoke(session: string, expiresAt: number, now: number): void;
  isRevoked(session: string): boolean;
}

const idOf = (session: string) => createHash("sha256").update(session).digest("hex");

/** For one process (and tests): the default when no database is given. */
export function memoryRevocations(): RevocationStore {
  const revoked = new Map<string, number>();
  return {
    revoke(session, expiresAt, now) {
      for (const [id, until] of revoked) if (until < now) revoked.delete(id);
      revoked.set(idOf(session), expiresAt);
    },
    isRevoked: (session) => revoked.has(idOf(session)),
  };
}

/** In the harness database, so a web role in another process refuses a logged-out session too. */
export function sqliteRevocations(db: Database): RevocationStore {
  const insert = db.query(
    "INSERT INTO revoked_sessions (session_hash, expires_at) VALUES (?, ?) ON CONFLICT (session_hash) DO NOTHING",
  );
  const prune = db.query("DELETE FROM revoked_sessions WHERE expires_at < ?");
  const find = db.query<{ one: number }, [string]>(
    "SELECT 1 AS one FROM revoked_sessions WHERE session_hash = ?",
  );
  return {
    revoke(session, expiresAt, now) {
      db.transaction(() => {
        prune.run(now);
        insert.run(idOf(session), expiresAt);
      }).immediate();
    },
    isRevoked: (session) => find.get(idOf(session)) !== null,
  };
}
