-- Anomaly detectors (statistical rules over a query's recent history) and schedules (cron-driven tickets).
CREATE TABLE anomalies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  query TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('zscore','mad','seasonal')),
  sensitivity REAL NOT NULL,
  window_ms INTEGER NOT NULL,
  min_history_ms INTEGER NOT NULL,
  cooldown_ms INTEGER NOT NULL,
  severity TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  cron TEXT NOT NULL,
  title TEXT NOT NULL,
  objective TEXT NOT NULL,
  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
  enabled INTEGER NOT NULL DEFAULT 1,
  next_run_at INTEGER,
  last_run_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
