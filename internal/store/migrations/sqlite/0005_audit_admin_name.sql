-- The audit log names the admin who acted, as WHMCS named them when they
-- acted (the shim sends the name with the admin's id); '' for entries
-- written before, and for shims that do not send it.
-- Statements end with ';' at the end of a line.

ALTER TABLE staas_audit ADD COLUMN admin_name TEXT NOT NULL DEFAULT '';
