-- The service's golden signals (request rate, 5xx share, p99) when a deploy started and when it ended.
ALTER TABLE deploys ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}';
