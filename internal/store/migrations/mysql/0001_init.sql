-- staas's own state, first version. MySQL commits DDL implicitly, so every
-- statement here must be safe to run again after a failure part way
-- (IF NOT EXISTS). Times are DATETIME(6) in UTC. Keys compared for
-- equality use binary collations so that MySQL agrees with SQLite: 'ABC'
-- and 'abc' are different user ids and different nonces.
-- Statements end with ';' at the end of a line (see migrate.go).

CREATE TABLE IF NOT EXISTS staas_s3_users (
	client_id  BIGINT       NOT NULL,
	service_id BIGINT       NOT NULL,
	cluster    VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	user_id    VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	email      VARCHAR(255) NOT NULL,
	created_at DATETIME(6)  NOT NULL,
	updated_at DATETIME(6)  NOT NULL,
	PRIMARY KEY (client_id, service_id),
	KEY staas_s3_users_user (cluster, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_panels (
	admin_id   BIGINT      NOT NULL,
	client_id  BIGINT      NOT NULL,
	panel      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	params     TEXT        NOT NULL,
	updated_at DATETIME(6) NOT NULL,
	PRIMARY KEY (admin_id, client_id, panel)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_flashes (
	id         BIGINT      NOT NULL AUTO_INCREMENT,
	admin_id   BIGINT      NOT NULL,
	client_id  BIGINT      NOT NULL,
	kind       VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	message    TEXT        NOT NULL,
	created_at DATETIME(6) NOT NULL,
	PRIMARY KEY (id),
	KEY staas_flashes_owner (admin_id, client_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_audit (
	id        BIGINT      NOT NULL AUTO_INCREMENT,
	at        DATETIME(6) NOT NULL,
	admin_id  BIGINT      NOT NULL,
	client_id BIGINT      NOT NULL,
	action    VARCHAR(64) NOT NULL,
	params    TEXT        NOT NULL,
	result    VARCHAR(64) NOT NULL,
	message   TEXT        NOT NULL,
	PRIMARY KEY (id),
	KEY staas_audit_client (client_id, id),
	KEY staas_audit_admin (admin_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_nonces (
	nonce      VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	expires_at DATETIME(6)  NOT NULL,
	PRIMARY KEY (nonce),
	KEY staas_nonces_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
