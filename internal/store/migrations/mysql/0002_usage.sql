-- Usage collection (internal/usage): the traffic ledger, the statistics
-- objects already counted, leases that keep one collector at a time, and
-- sampled bucket sizes. Counters are BIGINT UNSIGNED (ostor's counters are
-- unsigned 64-bit); sums are made in Go with overflow checks, never in
-- SQL, so both backends behave the same. Hours are hours since the Unix
-- epoch (UTC); sample times are Unix seconds. Every statement is safe to
-- run again (IF NOT EXISTS): MySQL commits DDL implicitly.

CREATE TABLE IF NOT EXISTS staas_usage_ledger (
	cluster          VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	hour_ts          BIGINT       NOT NULL,
	user_id          VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	bucket           VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	ops_put          BIGINT UNSIGNED NOT NULL,
	ops_get          BIGINT UNSIGNED NOT NULL,
	ops_list         BIGINT UNSIGNED NOT NULL,
	ops_other        BIGINT UNSIGNED NOT NULL,
	bytes_uploaded   BIGINT UNSIGNED NOT NULL,
	bytes_downloaded BIGINT UNSIGNED NOT NULL,
	PRIMARY KEY (cluster, hour_ts, user_id, bucket),
	KEY staas_usage_ledger_user (cluster, user_id, hour_ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_usage_objects (
	name          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	cluster       VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	service_id    VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	start_ts      BIGINT UNSIGNED NOT NULL,
	period        BIGINT UNSIGNED NOT NULL,
	items         BIGINT UNSIGNED NOT NULL,
	unknown_items BIGINT UNSIGNED NOT NULL,
	collected_at  DATETIME(6)  NOT NULL,
	PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_leases (
	name       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	owner      VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	expires_at DATETIME(6)  NOT NULL,
	renewals   BIGINT       NOT NULL,
	PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_storage_samples (
	cluster    VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	user_id    VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	bucket     VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	at         BIGINT       NOT NULL,
	epoch      BIGINT UNSIGNED NOT NULL,
	current    BIGINT UNSIGNED NOT NULL,
	hmax       BIGINT UNSIGNED NOT NULL,
	h_integral BIGINT UNSIGNED NOT NULL,
	last_ts    BIGINT UNSIGNED NOT NULL,
	PRIMARY KEY (cluster, user_id, bucket, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staas_storage_last (
	cluster VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	user_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	bucket  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	at      BIGINT       NOT NULL,
	current BIGINT UNSIGNED NOT NULL,
	PRIMARY KEY (cluster, user_id, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
