-- Durable event intents (issue 14): a client event staas accepted from
-- WHMCS (ClientClose, ClientDelete, ClientEdit's email change), written
-- before staas acts on it, so that a gateway away when the hook came loses
-- nothing: the intent stays 'queued' and is retried with a growing delay
-- until it is 'done', or 'failed' when the gateway refuses it for good.
-- params holds the event's few settings as JSON (the delete policy, the
-- addresses of an email change); never a secret. Safe to run again (IF
-- NOT EXISTS, keys inline): MySQL commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_intents (
	id              BIGINT        NOT NULL AUTO_INCREMENT,
	client_id       BIGINT        NOT NULL,
	admin_id        BIGINT        NOT NULL,
	event           VARCHAR(32)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	params          VARCHAR(1024) NOT NULL,
	state           VARCHAR(8)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	attempts        INT           NOT NULL,
	last_error      VARCHAR(255)  NOT NULL,
	created_at      DATETIME(6)   NOT NULL,
	updated_at      DATETIME(6)   NOT NULL,
	next_attempt_at DATETIME(6)   NOT NULL,
	PRIMARY KEY (id),
	KEY staas_intents_client (client_id, state, id),
	KEY staas_intents_due (state, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
