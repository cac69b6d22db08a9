-- Log streams: one row per distinct label set; labels kept as JSON for cheap reconstruction.
CREATE TABLE streams (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  labels TEXT NOT NULL
);

-- Label index so `{service="x"}` finds its streams without reading every stream.
CREATE TABLE stream_labels (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  stream_id INTEGER NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  PRIMARY KEY (name, value, stream_id)
) WITHOUT ROWID;

CREATE TABLE entries (
  id INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
  t INTEGER NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX entries_stream_t ON entries (stream_id, t);
-- Retention deletes oldest-first across all streams.
CREATE INDEX entries_t ON entries (t);

-- Trigram tokens make `|= "rror"` usable as an index lookup even inside a word; the engine
-- still re-checks every candidate with a plain substring test. detail=none (no positions) keeps
-- the index and the per-line insert cost down: queries AND the term's trigrams instead of
-- matching a phrase, and the re-check removes the false positives.
CREATE VIRTUAL TABLE entries_fts USING fts5 (
  line,
  content = 'entries',
  content_rowid = 'id',
  tokenize = 'trigram case_sensitive 1',
  detail = none
);

CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN
  INSERT INTO entries_fts (rowid, line) VALUES (new.id, new.line);
END;

CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
  INSERT INTO entries_fts (entries_fts, rowid, line) VALUES ('delete', old.id, old.line);
END;
