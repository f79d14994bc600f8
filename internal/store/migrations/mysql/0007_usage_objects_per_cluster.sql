-- A statistics object is collected once per cluster, not once in all:
-- two clusters whose gateways use the same service id name the objects of
-- one hour alike, and with the name alone as the key the second cluster's
-- object was taken as collected already and deleted unbilled. The key is
-- now (cluster, name). Safe to run again: dropping and adding the primary
-- key in one statement leaves the same key (MySQL commits DDL implicitly).

ALTER TABLE staas_usage_objects DROP PRIMARY KEY, ADD PRIMARY KEY (cluster, name);
