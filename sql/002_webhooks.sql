-- Webhook deliveries, keyed by a hash of the payload so a retried delivery is recognised and ignored.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  payload_hash TEXT NOT NULL UNIQUE,
  ticket_id INTEGER REFERENCES tickets(id),
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
