-- The WHMCS note outbox (internal/provision): note changes that could not
-- be made while WHMCS was unreachable, delivered later in id order per
-- client. A row never holds a secret key: an 'add' names the user and the
-- access key, and the secret is read back from the gateway at delivery.
-- access_key_id is '' on a 'remove' of all of a user's notes.
-- Statements end with ';' at the end of a line.

CREATE TABLE staas_note_outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id       INTEGER NOT NULL,
	admin_id        INTEGER NOT NULL,
	op              TEXT    NOT NULL,
	user_id         TEXT    NOT NULL,
	access_key_id   TEXT    NOT NULL,
	attempts        INTEGER NOT NULL,
	last_error      TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL
) STRICT;

CREATE INDEX staas_note_outbox_client ON staas_note_outbox (client_id, id);
CREATE INDEX staas_note_outbox_due ON staas_note_outbox (next_attempt_at);
