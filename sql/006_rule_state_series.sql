-- Per-series `for` timers (JSON: label fingerprint → pending since) and the recent firing history
-- (a string of 0/1, newest last) with the flapping flag, for flap damping.
ALTER TABLE rule_state ADD COLUMN series_state TEXT;
ALTER TABLE rule_state ADD COLUMN history TEXT NOT NULL DEFAULT '';
ALTER TABLE rule_state ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
