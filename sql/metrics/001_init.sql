-- One row per distinct label set; labels kept as JSON (sorted, no empty values) for cheap reconstruction.
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  labels TEXT NOT NULL
);

-- Label index: equality matchers find their series without reading every series.
CREATE TABLE series_labels (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  series_id INTEGER NOT NULL,
  PRIMARY KEY (name, value, series_id)
) WITHOUT ROWID;
CREATE INDEX series_labels_series ON series_labels (series_id);

-- Samples clustered by (series, time) so a range read is one B-tree seek and a sequential scan.
-- v NULL is a Prometheus staleness marker; v 'NaN' (text) is an ordinary NaN, because SQLite
-- stores every NaN as NULL. No foreign key: checking it would cost every insert.
CREATE TABLE samples (
  series_id INTEGER NOT NULL,
  t INTEGER NOT NULL,
  v REAL,
  PRIMARY KEY (series_id, t)
) WITHOUT ROWID;

-- Recent samples in arrival order (see store-head.ts): appends touch only the table's last
-- page, and are moved into `samples` in bulk. No index: queries read the in-memory mirror.
CREATE TABLE samples_head (
  series_id INTEGER NOT NULL,
  t INTEGER NOT NULL,
  v REAL
);
