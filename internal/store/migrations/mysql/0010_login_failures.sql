-- Failed reseller logins (issue 12), kept in the store rather than in one
-- process's memory, so that every staas replica behind a load balancer
-- counts the same failures and honours the same lockout. One row per
-- lock key ("email:…" or "ip:…"): failures since first_at, and the time
-- the key stays locked until (first_at when it is not locked). Safe to run
-- again (IF NOT EXISTS): MySQL commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_login_failures (
	lock_key     VARCHAR(330) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	failures     INT         NOT NULL,
	first_at     DATETIME(6) NOT NULL,
	locked_until DATETIME(6) NOT NULL,
	PRIMARY KEY (lock_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
