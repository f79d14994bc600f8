-- The cluster registry (internal/cluster): the storage clusters staas
-- provisions on, each with its own admin endpoint and credentials. A row
-- never holds a secret: credentials is a reference, "env:PREFIX" (the
-- variables PREFIX_ACCESS_KEY and PREFIX_SECRET_KEY) or "file:/path".
-- Exactly one row is the default, the cluster of module calls and
-- mappings that name none; staas seeds it from STAAS_OSTOR_* when the
-- table is empty. Safe to run again (IF NOT EXISTS, keys inline): MySQL
-- commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_clusters (
	id             BIGINT       NOT NULL AUTO_INCREMENT,
	name           VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	kind           VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	admin_endpoint VARCHAR(255) NOT NULL,
	data_endpoint  VARCHAR(255) NOT NULL,
	signature      VARCHAR(8)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	region         VARCHAR(64)  NOT NULL,
	credentials    VARCHAR(512) NOT NULL,
	is_default     TINYINT(1)   NOT NULL,
	created_at     DATETIME(6)  NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY staas_clusters_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
