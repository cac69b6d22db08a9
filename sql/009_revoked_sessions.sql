-- Dashboard sessions are signed cookies; a logout records the session here so every process sharing the database
-- refuses it at once. Only a hash of the cookie is kept; a row can go once the session would have expired anyway.
CREATE TABLE revoked_sessions (
  session_hash TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);
