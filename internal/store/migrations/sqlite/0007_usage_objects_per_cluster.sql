-- A statistics object is collected once per cluster, not once in all:
-- two clusters whose gateways use the same service id name the objects of
-- one hour alike, and with the name alone as the key the second cluster's
-- object was taken as collected already and deleted unbilled. The key is
-- now (cluster, name). SQLite cannot change a primary key in place, so
-- the table is copied. Statements end with ';' at the end of a line.

CREATE TABLE staas_usage_objects_by_cluster (
	name          TEXT    NOT NULL,
	cluster       TEXT    NOT NULL,
	service_id    TEXT    NOT NULL,
	start_ts      INTEGER NOT NULL,
	period        INTEGER NOT NULL,
	items         INTEGER NOT NULL,
	unknown_items INTEGER NOT NULL,
	collected_at  INTEGER NOT NULL,
	PRIMARY KEY (cluster, name)
) STRICT;

INSERT INTO staas_usage_objects_by_cluster (name, cluster, service_id, start_ts, period, items, unknown_items, collected_at)
	SELECT name, cluster, service_id, start_ts, period, items, unknown_items, collected_at FROM staas_usage_objects;

DROP TABLE staas_usage_objects;

ALTER TABLE staas_usage_objects_by_cluster RENAME TO staas_usage_objects;
