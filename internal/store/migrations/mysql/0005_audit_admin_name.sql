-- The audit log names the admin who acted, as WHMCS named them when they
-- acted (the shim sends the name with the admin's id); '' for entries
-- written before, and for shims that do not send it.
--
-- MySQL commits DDL implicitly, so this must be safe to run again after a
-- failure part way: the ALTER runs only when information_schema shows the
-- table without the column (MySQL has no ADD COLUMN IF NOT EXISTS).

SET @staas_ddl = IF(EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'staas_audit' AND COLUMN_NAME = 'admin_name'), 'DO 0', 'ALTER TABLE staas_audit ADD COLUMN admin_name VARCHAR(255) NOT NULL DEFAULT ''''');
PREPARE staas_stmt FROM @staas_ddl;
EXECUTE staas_stmt;
DEALLOCATE PREPARE staas_stmt;
