-- WHMCS lifecycle provisioning (internal/provision): who acted on an audit
-- entry (a WHMCS admin, the client on their service page, or WHMCS's own
-- automation; every earlier entry was an admin's), S3 users kept after
-- their WHMCS client was deleted (orphans: orphaned_at is when, NULL for
-- every other user), and finding a service's user by its service id.
-- Statements end with ';' at the end of a line.

ALTER TABLE staas_audit ADD COLUMN actor TEXT NOT NULL DEFAULT 'admin';

ALTER TABLE staas_s3_users ADD COLUMN orphaned_at INTEGER;

CREATE INDEX staas_s3_users_service ON staas_s3_users (service_id);
