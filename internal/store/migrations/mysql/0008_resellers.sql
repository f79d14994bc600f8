-- Resellers (issue 12): people who sell storage to their own customers
-- through the provider's WHMCS and log in to a read-only portal of their
-- own clients' storage. source_kind says how their clients are found in
-- WHMCS: 'group' (source_value is a client group id), 'ids' (a comma list
-- of client ids) or 'field' ("fieldname=value" of a client custom field).
-- password_hash is bcrypt; totp_secret is NULL until a second factor is
-- enrolled. email is kept lower-case and compared binary, so UNIQUE means
-- the same on both backends. Safe to run again (IF NOT EXISTS, keys
-- inline): MySQL commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_resellers (
	id            BIGINT       NOT NULL AUTO_INCREMENT,
	name          VARCHAR(255) NOT NULL,
	email         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	totp_secret   VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
	state         VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	source_kind   VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	source_value  VARCHAR(1024) NOT NULL,
	created_at    DATETIME(6)  NOT NULL,
	updated_at    DATETIME(6)  NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY staas_resellers_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
