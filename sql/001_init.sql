-- Core store: tickets and their append-only history, the observations that opened them,
-- the rules that watch the service, approvals, and per-rule evaluation state.

CREATE TABLE observations (
  id INTEGER PRIMARY KEY,
  rule_kind TEXT NOT NULL,
  rule TEXT NOT NULL,
  query TEXT NOT NULL,
  value REAL,
  labels TEXT NOT NULL DEFAULT '{}',
  data TEXT NOT NULL DEFAULT '{}',
  observed_at INTEGER NOT NULL
);

CREATE TABLE tickets (
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
    ('pending','in_progress','awaiting_approval','verifying','completed','failed','cancelled')),
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

CREATE INDEX tickets_queue ON tickets (status, priority, created_at);
-- One open ticket per fingerprint: de-duplication holds even with several monitors writing.
CREATE UNIQUE INDEX tickets_open_fingerprint ON tickets (fingerprint)
  WHERE fingerprint IS NOT NULL AND status NOT IN ('completed','failed','cancelled');

CREATE TABLE ticket_events (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  UNIQUE (ticket_id, seq)
);

-- History is evidence: the store refuses to rewrite it.
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events are append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events are append-only'); END;

CREATE TABLE slos (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  objective REAL NOT NULL,
  window_ms INTEGER NOT NULL,
  sli TEXT NOT NULL,
  policy TEXT NOT NULL DEFAULT '{}',
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE invariants (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  query TEXT NOT NULL,
  for_ms INTEGER NOT NULL DEFAULT 0,
  severity TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE approvals (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','approved','denied')),
  requested_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  comment TEXT
);

-- Evaluation memory of each rule (pending-since for `for` durations), so a restart does not reset it.
CREATE TABLE rule_state (
  rule_key TEXT PRIMARY KEY,
  pending_since INTEGER,
  started_at INTEGER,
  last_value REAL,
  last_eval_at INTEGER,
  last_error TEXT,
  consecutive_errors INTEGER NOT NULL DEFAULT 0
);
