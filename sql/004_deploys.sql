-- Every deploy of the service: which commit, for which ticket, each stage's outcome, and why it stopped.
CREATE TABLE deploys (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  commit_sha TEXT NOT NULL,
  previous_sha TEXT,
  status TEXT NOT NULL CHECK (status IN ('running','completed','failed','rolled_back')),
  stage TEXT NOT NULL,
  reason TEXT,
  stages TEXT NOT NULL DEFAULT '[]',
  started_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX deploys_ticket ON deploys (ticket_id);
