-- WHMCS lifecycle provisioning (internal/provision): who acted on an audit
-- entry (a WHMCS admin, the client on their service page, or WHMCS's own
-- automation; every earlier entry was an admin's), S3 users kept after
-- their WHMCS client was deleted (orphans: orphaned_at is when, NULL for
-- every other user), and finding a service's user by its service id.
--
-- MySQL commits DDL implicitly, so this must be safe to run again after a
-- failure part way. MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has):
-- each table's change is one ALTER, run only when information_schema
-- shows the table without its new column.

SET @staas_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'staas_audit' AND COLUMN_NAME = 'actor'), 'DO 0', 'ALTER TABLE staas_audit ADD COLUMN actor VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''admin''');
PREPARE staas_stmt FROM @staas_ddl;
EXECUTE staas_stmt;
DEALLOCATE PREPARE staas_stmt;

SET @staas_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'staas_s3_users' AND COLUMN_NAME = 'orphaned_at'), 'DO 0', 'ALTER TABLE staas_s3_users ADD COLUMN orphaned_at DATETIME(6) NULL, ADD KEY staas_s3_users_service (service_id)');
PREPARE staas_stmt FROM @staas_ddl;
EXECUTE staas_stmt;
DEALLOCATE PREPARE staas_stmt;
