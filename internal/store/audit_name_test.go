package store

import (
	"strings"
	"testing"
	"time"

	"staas"
)

// testAuditAdminName: an entry keeps the admin's name; entries from before
// the column read with none; the migration runs again safely on MySQL; a
// name over staas.MaxAdminName characters is refused.
func testAuditAdminName(t *testing.T, b backend) {
	ctx := ctxFor(t)
	dsn := b.dsn(t)
	old := openAtVersion(t, b, dsn, 4)
	at := old.dialect.timeArg(storedTime(time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)))
	_, err := old.db.ExecContext(ctx, `INSERT INTO staas_audit (at, admin_id, client_id, actor, action, params, result, message) VALUES (?, 7, 1, 'admin', 'create-user', '{}', 'ok', 'Created.')`, at)
	mustNil(t, err)
	mustNil(t, old.db.Close())

	s := open(t, b, dsn)
	_, err = s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, AdminName: "Zoë Admin (zadmin)", ClientID: 1, Action: "delete-user", Result: "ok"})
	mustNil(t, err)
	entries, err := s.Audit(ctx, AuditFilter{ClientID: 1})
	mustNil(t, err)
	if len(entries) != 2 || entries[0].AdminName != "Zoë Admin (zadmin)" || entries[1].AdminName != "" {
		t.Fatalf("entries read %+v; want the new one named and the old one without a name", entries)
	}
	long := strings.Repeat("é", staas.MaxAdminName)
	_, err = s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, AdminName: long, ClientID: 1, Action: "x", Result: "ok"})
	mustNil(t, err)
	_, err = s.AddAudit(ctx, staas.AuditEntry{AdminID: 7, AdminName: long + "é", ClientID: 1, Action: "x", Result: "ok"})
	if staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("a name of %d characters: %v, want EINVALID", staas.MaxAdminName+1, err)
	}

	if b.driver != driverMySQL {
		return
	}
	migs, err := loadMigrations(mysqlDialect.name)
	mustNil(t, err)
	for i, stmt := range migs[4].statements {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("running migration 0005 again, statement %d: %v", i+1, err)
		}
	}
}
