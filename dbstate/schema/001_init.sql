-- 001_init.sql - first Tessera schema: cluster settings, nodes, and the
-- append-only event log written in the same transaction as every change.
-- SQLite dialect kept close to PostgreSQL (a PG backend keeps its own copy of
-- the few lines that differ: AUTOINCREMENT and the trigger bodies).

CREATE TABLE cluster (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE nodes (
	id             INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4095),
	name           TEXT    NOT NULL DEFAULT '',
	role           TEXT    NOT NULL CHECK (role IN ('process', 'memory', 'storage')),
	state          TEXT    NOT NULL CHECK (state IN ('joining', 'up', 'dead', 'left')),
	mac            TEXT    NOT NULL,
	mem_bytes      BIGINT  NOT NULL DEFAULT 0,
	caps           BIGINT  NOT NULL DEFAULT 0,
	transport      TEXT    NOT NULL DEFAULT 'net' CHECK (transport IN ('net', 'cxl')),
	boot_nonce     TEXT    NOT NULL,          -- 16 hex digits (u64 does not fit BIGINT)
	joined_at      TEXT    NOT NULL,          -- ISO 8601 UTC
	last_heartbeat TEXT,                      -- ISO 8601 UTC, at most 1 s stale
	incarnation    INTEGER NOT NULL DEFAULT 1 -- +1 per join with a new boot nonce
);

CREATE TABLE events (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	ts      TEXT    NOT NULL,                 -- ISO 8601 UTC
	txn     INTEGER NOT NULL,                 -- events of one transaction share it
	node_id INTEGER,                          -- NULL for cluster-wide events
	kind    TEXT    NOT NULL,
	detail  TEXT    NOT NULL DEFAULT '{}'     -- JSON object
);
CREATE INDEX events_by_node ON events (node_id, seq);
CREATE INDEX events_by_ts ON events (ts);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events is append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events is append-only');
END;
