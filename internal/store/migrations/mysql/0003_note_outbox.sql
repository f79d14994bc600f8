-- The WHMCS note outbox (internal/provision): note changes that could not
-- be made while WHMCS was unreachable, delivered later in id order per
-- client. A row never holds a secret key: an 'add' names the user and the
-- access key, and the secret is read back from the gateway at delivery.
-- access_key_id is '' on a 'remove' of all of a user's notes. Safe to run
-- again (IF NOT EXISTS, keys inline): MySQL commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_note_outbox (
	id              BIGINT       NOT NULL AUTO_INCREMENT,
	client_id       BIGINT       NOT NULL,
	admin_id        BIGINT       NOT NULL,
	op              VARCHAR(8)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	user_id         VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	access_key_id   VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	attempts        INT          NOT NULL,
	last_error      VARCHAR(255) NOT NULL,
	created_at      DATETIME(6)  NOT NULL,
	next_attempt_at DATETIME(6)  NOT NULL,
	PRIMARY KEY (id),
	KEY staas_note_outbox_client (client_id, id),
	KEY staas_note_outbox_due (next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
