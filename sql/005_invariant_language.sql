-- Invariants may be LogQL metric queries (evaluated by the logs backend) as well as PromQL.
ALTER TABLE invariants ADD COLUMN language TEXT NOT NULL DEFAULT 'promql';
