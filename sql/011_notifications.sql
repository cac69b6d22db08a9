-- Outbound notifications (`notify:` in harness.yaml). An outbox filled from ticket_events past a cursor, in
-- one transaction with the cursor's move: a crash loses no event, and no event is planned twice.
CREATE TABLE notification_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_event_id INTEGER NOT NULL
);
-- Starts after the events already stored: turning notifications on announces what happens from then on.
INSERT INTO notification_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM ticket_events;

-- One row per (event, target): the delivery log shown on the ticket.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  event_id INTEGER NOT NULL REFERENCES ticket_events(id),
  target TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('slack','webhook','pagerduty')),
  event TEXT NOT NULL,
  -- The status the event moved the ticket to, and its reason or resolution (redacted), as sent.
  ticket_status TEXT NOT NULL,
  detail TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- When a pending delivery is next due; a sender claiming it moves this past its timeout.
  next_at INTEGER NOT NULL,
  response_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (event_id, target)
);
CREATE INDEX notifications_due ON notifications (status, next_at);
CREATE INDEX notifications_ticket ON notifications (ticket_id, target, id);

CREATE TABLE notification_attempts (
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id),
  attempt INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  response_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX notification_attempts_of ON notification_attempts (notification_id, attempt);
