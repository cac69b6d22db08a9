-- Two outcomes that are not "verified": `answered` (findings reported, no fix claimed; final) and `needs_human`
-- (handed to a person with a reason; waiting). SQLite cannot change a CHECK in place, so the table is rebuilt
-- as its documentation describes (foreign keys are off while migrations run; they are checked before commit).
CREATE TABLE tickets_new (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  objective TEXT NOT NULL,
  success_criteria TEXT NOT NULL DEFAULT '[]',
  context TEXT NOT NULL DEFAULT '{}',
  source TEXT NOT NULL CHECK (source IN ('slo','invariant','anomaly','schedule','human','webhook','agent')),
  source_ref TEXT,
  fingerprint TEXT,
  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
  status TEXT NOT NULL CHECK (status IN
    ('pending','in_progress','awaiting_approval','needs_human','verifying','completed','answered','failed','cancelled')),
  parent_id INTEGER REFERENCES tickets(id),
  observation_id INTEGER REFERENCES observations(id),
  lease_owner TEXT,
  lease_expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  resolution TEXT
);
INSERT INTO tickets_new SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;
CREATE INDEX tickets_queue ON tickets (status, priority, created_at);
CREATE UNIQUE INDEX tickets_open_fingerprint ON tickets (fingerprint)
  WHERE fingerprint IS NOT NULL AND status NOT IN ('completed','answered','failed','cancelled');
