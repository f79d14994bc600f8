-- Failed reseller logins (issue 12), kept in the store rather than in one
-- process's memory, so that every staas replica behind a load balancer
-- counts the same failures and honours the same lockout. One row per
-- lock key ("email:…" or "ip:…"): failures since first_at, and the time
-- the key stays locked until (first_at when it is not locked).
-- Statements end with ';' at the end of a line.

CREATE TABLE staas_login_failures (
	lock_key     TEXT    NOT NULL PRIMARY KEY,
	failures     INTEGER NOT NULL,
	first_at     INTEGER NOT NULL,
	locked_until INTEGER NOT NULL
) STRICT;
