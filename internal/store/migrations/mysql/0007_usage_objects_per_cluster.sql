-- A collected statistics object is known by its cluster and its name: two
-- clusters' gateways name their objects alike (the service id and period
-- start), and keyed by name alone the second cluster's object read as
-- collected already and was deleted from its gateway without being
-- booked.
--
-- MySQL commits DDL implicitly, so this must be safe to run again after a
-- failure part way: the ALTER runs only while information_schema shows a
-- primary key without the cluster column.

SET @staas_ddl = IF(EXISTS(SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'staas_usage_objects' AND INDEX_NAME = 'PRIMARY' AND COLUMN_NAME = 'cluster'), 'DO 0', 'ALTER TABLE staas_usage_objects DROP PRIMARY KEY, ADD PRIMARY KEY (cluster, name)');
PREPARE staas_stmt FROM @staas_ddl;
EXECUTE staas_stmt;
DEALLOCATE PREPARE staas_stmt;
