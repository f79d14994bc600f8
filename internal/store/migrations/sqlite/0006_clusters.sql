-- The cluster registry (internal/cluster): the storage clusters staas
-- provisions on, each with its own admin endpoint and credentials. A row
-- never holds a secret: credentials is a reference, "env:PREFIX" (the
-- variables PREFIX_ACCESS_KEY and PREFIX_SECRET_KEY) or "file:/path".
-- Exactly one row is the default, the cluster of module calls and
-- mappings that name none; staas seeds it from STAAS_OSTOR_* when the
-- table is empty. Statements end with ';' at the end of a line.

CREATE TABLE staas_clusters (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	name           TEXT    NOT NULL UNIQUE,
	kind           TEXT    NOT NULL,
	admin_endpoint TEXT    NOT NULL,
	data_endpoint  TEXT    NOT NULL,
	signature      TEXT    NOT NULL,
	region         TEXT    NOT NULL,
	credentials    TEXT    NOT NULL,
	is_default     INTEGER NOT NULL,
	created_at     INTEGER NOT NULL
) STRICT;
