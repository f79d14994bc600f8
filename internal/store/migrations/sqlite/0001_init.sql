-- staas's own state, first version. Times are INTEGER unix nanoseconds in
-- UTC (truncated to microseconds, as MySQL's DATETIME(6) keeps them).
-- Statements end with ';' at the end of a line (see migrate.go).

CREATE TABLE staas_s3_users (
	client_id  INTEGER NOT NULL,
	service_id INTEGER NOT NULL,
	cluster    TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (client_id, service_id)
) STRICT;

CREATE INDEX staas_s3_users_user ON staas_s3_users (cluster, user_id);

CREATE TABLE staas_panels (
	admin_id   INTEGER NOT NULL,
	client_id  INTEGER NOT NULL,
	panel      TEXT    NOT NULL,
	params     TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (admin_id, client_id, panel)
) STRICT;

CREATE TABLE staas_flashes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	admin_id   INTEGER NOT NULL,
	client_id  INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	message    TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX staas_flashes_owner ON staas_flashes (admin_id, client_id, id);

CREATE TABLE staas_audit (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	at        INTEGER NOT NULL,
	admin_id  INTEGER NOT NULL,
	client_id INTEGER NOT NULL,
	action    TEXT    NOT NULL,
	params    TEXT    NOT NULL,
	result    TEXT    NOT NULL,
	message   TEXT    NOT NULL
) STRICT;

CREATE INDEX staas_audit_client ON staas_audit (client_id, id);
CREATE INDEX staas_audit_admin ON staas_audit (admin_id, id);

CREATE TABLE staas_nonces (
	nonce      TEXT    NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX staas_nonces_expires ON staas_nonces (expires_at);
