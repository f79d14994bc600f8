-- Resellers (issue 12): people who sell storage to their own customers
-- through the provider's WHMCS and log in to a read-only portal of their
-- own clients' storage. source_kind says how their clients are found in
-- WHMCS: 'group' (source_value is a client group id), 'ids' (a comma list
-- of client ids) or 'field' ("fieldname=value" of a client custom field).
-- password_hash is bcrypt; totp_secret is NULL until a second factor is
-- enrolled. email is kept lower-case, so UNIQUE means the same on both
-- backends. Statements end with ';' at the end of a line.

CREATE TABLE staas_resellers (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT    NOT NULL,
	email         TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	totp_secret   TEXT,
	state         TEXT    NOT NULL CHECK (state IN ('active', 'disabled')),
	source_kind   TEXT    NOT NULL CHECK (source_kind IN ('group', 'ids', 'field')),
	source_value  TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;
