-- A collected statistics object is known by its cluster and its name: two
-- clusters' gateways name their objects alike (the service id and period
-- start), and keyed by name alone the second cluster's object read as
-- collected already and was deleted from its gateway without being
-- booked. SQLite cannot change a primary key in place: the table is
-- rebuilt with its rows.
-- Statements end with ';' at the end of a line.

CREATE TABLE staas_usage_objects_new (
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

INSERT INTO staas_usage_objects_new (name, cluster, service_id, start_ts, period, items, unknown_items, collected_at)
	SELECT name, cluster, service_id, start_ts, period, items, unknown_items, collected_at FROM staas_usage_objects;

DROP TABLE staas_usage_objects;

ALTER TABLE staas_usage_objects_new RENAME TO staas_usage_objects;
