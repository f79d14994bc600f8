-- Usage collection (internal/usage): the traffic ledger, the statistics
-- objects already counted, leases that keep one collector at a time, and
-- sampled bucket sizes. Counters are unsigned 64-bit in Go; SQLite has
-- only signed 64-bit integers, so a counter column holds the uint64's bits
-- (values from 2^63 read as negative here) and only the store converts
-- them. Sums are never made in SQL: the store adds in Go, with overflow
-- checks. Hours are hours since the Unix epoch (UTC); sample times are
-- Unix seconds. Statements end with ';' at the end of a line.

-- Traffic per S3 user, bucket ("" for user-level operations) and hour.
CREATE TABLE staas_usage_ledger (
	cluster          TEXT    NOT NULL,
	hour_ts          INTEGER NOT NULL,
	user_id          TEXT    NOT NULL,
	bucket           TEXT    NOT NULL,
	ops_put          INTEGER NOT NULL,
	ops_get          INTEGER NOT NULL,
	ops_list         INTEGER NOT NULL,
	ops_other        INTEGER NOT NULL,
	bytes_uploaded   INTEGER NOT NULL,
	bytes_downloaded INTEGER NOT NULL,
	PRIMARY KEY (cluster, hour_ts, user_id, bucket)
) STRICT, WITHOUT ROWID;

CREATE INDEX staas_usage_ledger_user ON staas_usage_ledger (cluster, user_id, hour_ts);

-- Every statistics object whose counters are in the ledger, written in the
-- same transaction as they are.
CREATE TABLE staas_usage_objects (
	name          TEXT    NOT NULL PRIMARY KEY,
	cluster       TEXT    NOT NULL,
	service_id    TEXT    NOT NULL,
	start_ts      INTEGER NOT NULL,
	period        INTEGER NOT NULL,
	items         INTEGER NOT NULL,
	unknown_items INTEGER NOT NULL,
	collected_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE staas_leases (
	name       TEXT    NOT NULL PRIMARY KEY,
	owner      TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	renewals   INTEGER NOT NULL
) STRICT;

-- Bucket sizes as ostor-buckets reported them at a sampling time.
CREATE TABLE staas_storage_samples (
	cluster    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	bucket     TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	epoch      INTEGER NOT NULL,
	current    INTEGER NOT NULL,
	hmax       INTEGER NOT NULL,
	h_integral INTEGER NOT NULL,
	last_ts    INTEGER NOT NULL,
	PRIMARY KEY (cluster, user_id, bucket, at)
) STRICT, WITHOUT ROWID;

-- The latest sample of each bucket, so that a bucket gone from the
-- listing gets a zero sample without scanning the history.
CREATE TABLE staas_storage_last (
	cluster TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	bucket  TEXT    NOT NULL,
	at      INTEGER NOT NULL,
	current INTEGER NOT NULL,
	PRIMARY KEY (cluster, user_id, bucket)
) STRICT, WITHOUT ROWID;
