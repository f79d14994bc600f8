-- Durable event intents (issue 14): a client event staas accepted from
-- WHMCS (ClientClose, ClientDelete, ClientEdit's email change), written
-- before staas acts on it, so that a gateway away when the hook came loses
-- nothing: the intent stays 'queued' and is retried with a growing delay
-- until it is 'done', or 'failed' when the gateway refuses it for good.
-- params holds the event's few settings as JSON (the delete policy, the
-- addresses of an email change); never a secret.
-- Statements end with ';' at the end of a line.

CREATE TABLE staas_intents (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id       INTEGER NOT NULL,
	admin_id        INTEGER NOT NULL,
	event           TEXT    NOT NULL,
	params          TEXT    NOT NULL,
	state           TEXT    NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
	attempts        INTEGER NOT NULL,
	last_error      TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL
) STRICT;

CREATE INDEX staas_intents_client ON staas_intents (client_id, state, id);
CREATE INDEX staas_intents_due ON staas_intents (state, next_attempt_at);
