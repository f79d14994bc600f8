package store

import (
	"database/sql"
	"testing"
	"time"

	"staas"
)

// openAtVersion opens dsn with only the first version migrations applied,
// as a staas of that time left it.
func openAtVersion(t *testing.T, b backend, dsn string, version int) *Store {
	t.Helper()
	ctx := ctxFor(t)
	var (
		name string
		d    *dialect
		err  error
	)
	if b.driver == driverMySQL {
		name, err = mysqlDSN(dsn)
		d = mysqlDialect
	} else {
		name, err = sqliteDSN(dsn)
		d = sqliteDialect
	}
	mustNil(t, err)
	db, err := sql.Open(d.driver, name)
	mustNil(t, err)
	d.configurePool(db)
	s := &Store{db: db, dialect: d}
	t.Cleanup(func() { db.Close() })
	migs, err := loadMigrations(d.name)
	mustNil(t, err)
	conn, err := db.Conn(ctx)
	mustNil(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, d.createMigrations)
	mustNil(t, err)
	for _, m := range migs[:version] {
		mustNil(t, s.applyMigration(ctx, conn, m))
	}
	return s
}

// testMigration0004: rows written before actors and orphans read back as
// an admin's entries and users that are not orphaned; on MySQL, whose DDL
// is not transactional, the migration runs again without harm.
func testMigration0004(t *testing.T, b backend) {
	ctx := ctxFor(t)
	dsn := b.dsn(t)
	old := openAtVersion(t, b, dsn, 3)
	at := old.dialect.timeArg(storedTime(time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)))
	_, err := old.db.ExecContext(ctx, `INSERT INTO staas_audit (at, admin_id, client_id, action, params, result, message) VALUES (?, 7, 1, 'create-user', '{}', 'ok', 'Created.')`, at)
	mustNil(t, err)
	_, err = old.db.ExecContext(ctx, `INSERT INTO staas_s3_users (client_id, service_id, cluster, user_id, email, created_at, updated_at) VALUES (1, 0, 'default', '0123456789abcdef', 'a@example.com', ?, ?), (1, 12, 'default', '1111111111111111', 'a+s3-12@example.com', ?, ?)`, at, at, at, at)
	mustNil(t, err)
	mustNil(t, old.db.Close())

	s := open(t, b, dsn)
	if v, err := s.Version(ctx); err != nil || v < 4 {
		t.Fatalf("Version = %d, %v; want at least 4", v, err)
	}
	entries, err := s.Audit(ctx, AuditFilter{ClientID: 1})
	mustNil(t, err)
	if len(entries) != 1 || entries[0].Actor != staas.AuditActorAdmin || entries[0].AdminID != 7 {
		t.Errorf("an entry from before actors reads %+v; want actor %q", entries, staas.AuditActorAdmin)
	}
	u, err := s.S3UserByService(ctx, 12)
	mustNil(t, err)
	if u.ClientID != 1 || u.UserID != "1111111111111111" || !u.OrphanedAt.IsZero() {
		t.Errorf("service 12 reads %+v; want client 1's user, not orphaned", u)
	}
	orphans, err := s.Orphans(ctx)
	mustNil(t, err)
	if len(orphans) != 0 {
		t.Errorf("orphans right after the migration: %+v", orphans)
	}

	if b.driver != driverMySQL {
		return
	}
	migs, err := loadMigrations(mysqlDialect.name)
	mustNil(t, err)
	for i, stmt := range migs[3].statements {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("running migration 0004 again, statement %d: %v", i+1, err)
		}
	}
	for table, column := range map[string]string{"staas_audit": "actor", "staas_s3_users": "orphaned_at"} {
		var n int
		mustNil(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, table, column).Scan(&n))
		if n != 1 {
			t.Errorf("%s has %d columns %s after running the migration twice", table, n, column)
		}
	}
	if _, err := s.AddAudit(ctx, staas.AuditEntry{ClientID: 1, Actor: staas.AuditActorWHMCS, Action: "service-create", Result: "ok"}); err != nil {
		t.Errorf("the store after the migration ran twice: %v", err)
	}
}

func testS3UserByServiceAndMove(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	_, err := s.S3UserByService(ctx, 12)
	wantCode(t, err, staas.ENOTFOUND)
	for _, u := range []staas.S3User{
		{ClientID: 1, ServiceID: 0, Cluster: "default", UserID: "0123456789abcdef", Email: "a@example.com"},
		{ClientID: 1, ServiceID: 12, Cluster: "default", UserID: "1111111111111111", Email: "a+s3-12@example.com"},
		{ClientID: 2, ServiceID: 13, Cluster: "default", UserID: "2222222222222222", Email: "b+s3-13@example.com"},
	} {
		mustNil(t, s.SaveS3User(ctx, u))
	}
	u, err := s.S3UserByService(ctx, 12)
	mustNil(t, err)
	if u.ClientID != 1 || u.UserID != "1111111111111111" {
		t.Fatalf("S3UserByService(12) = %+v", u)
	}

	// WHMCS moved service 12 to client 2.
	moved := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	mustNil(t, s.MoveService(ctx, 12, 2, moved))
	u, err = s.S3UserByService(ctx, 12)
	mustNil(t, err)
	if u.ClientID != 2 || u.UserID != "1111111111111111" || !u.UpdatedAt.Equal(moved) {
		t.Errorf("after the move: %+v; want client 2, same user, updated at %v", u, moved)
	}
	_, err = s.S3User(ctx, 1, 12)
	wantCode(t, err, staas.ENOTFOUND)
	if list, _ := s.S3UsersOfClient(ctx, 2); len(list) != 2 {
		t.Errorf("client 2 has %d users after the move, want 2", len(list))
	}
	// Moving to the client it is with already is no change and no error.
	mustNil(t, s.MoveService(ctx, 12, 2, moved))
	wantCode(t, s.MoveService(ctx, 99, 2, moved), staas.ENOTFOUND)
	// The client-level user (service 0) is never found as a service.
	_, err = s.S3UserByService(ctx, 0)
	wantCode(t, err, staas.EINVALID)
	wantCode(t, s.MoveService(ctx, 0, 2, moved), staas.EINVALID)
	wantCode(t, s.MoveService(ctx, 12, 0, moved), staas.EINVALID)
	if u, _ := s.S3User(ctx, 1, 0); u == nil || u.ClientID != 1 {
		t.Errorf("the client-level user moved: %+v", u)
	}
}

func testOrphans(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	for _, u := range []staas.S3User{
		{ClientID: 4, ServiceID: 0, Cluster: "default", UserID: "4444444444444444", Email: "d@example.com"},
		{ClientID: 4, ServiceID: 40, Cluster: "default", UserID: "4040404040404040", Email: "d+s3-40@example.com"},
		{ClientID: 5, ServiceID: 0, Cluster: "default", UserID: "5555555555555555", Email: "e@example.com"},
	} {
		mustNil(t, s.SaveS3User(ctx, u))
	}
	first := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	mustNil(t, s.MarkOrphaned(ctx, 4, 40, first))
	mustNil(t, s.MarkOrphaned(ctx, 4, 0, first.Add(time.Hour)))
	// Marked again later: the first time stays.
	mustNil(t, s.MarkOrphaned(ctx, 4, 40, first.Add(48*time.Hour)))
	wantCode(t, s.MarkOrphaned(ctx, 6, 0, first), staas.ENOTFOUND)

	orphans, err := s.Orphans(ctx)
	mustNil(t, err)
	if len(orphans) != 2 || orphans[0].ServiceID != 40 || orphans[1].ServiceID != 0 || orphans[1].ClientID != 4 {
		t.Fatalf("orphans %+v; want client 4's service 40, then its client-level user", orphans)
	}
	if !orphans[0].OrphanedAt.Equal(first) || orphans[0].OrphanedAt.Location() != time.UTC {
		t.Errorf("orphaned at %v, want the first marking %v in UTC", orphans[0].OrphanedAt, first)
	}
	if u, _ := s.S3User(ctx, 5, 0); u == nil || !u.OrphanedAt.IsZero() {
		t.Errorf("an unmarked user reads %+v", u)
	}
	// Saving an orphan again keeps it an orphan.
	mustNil(t, s.SaveS3User(ctx, staas.S3User{ClientID: 4, ServiceID: 40, Cluster: "default", UserID: "4040404040404040", Email: "d+s3-40@example.com"}))
	if u, _ := s.S3UserByService(ctx, 40); u == nil || !u.OrphanedAt.Equal(first) {
		t.Errorf("after a save, service 40 reads %+v; want still orphaned at %v", u, first)
	}
	// An operator deletes it: gone from the orphans.
	mustNil(t, s.DeleteS3User(ctx, 4, 40))
	orphans, err = s.Orphans(ctx)
	mustNil(t, err)
	if len(orphans) != 1 || orphans[0].ServiceID != 0 {
		t.Errorf("after deleting one, orphans %+v", orphans)
	}
}

func testOrphansInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	ok := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for name, err := range map[string]error{
		"client 0":       s.MarkOrphaned(ctx, 0, 0, ok),
		"service -1":     s.MarkOrphaned(ctx, 1, -1, ok),
		"time 1960":      s.MarkOrphaned(ctx, 1, 0, time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)),
		"time zero":      s.MarkOrphaned(ctx, 1, 0, time.Time{}),
		"move time zero": s.MoveService(ctx, 1, 2, time.Time{}),
	} {
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: %v, want %s", name, err, staas.EINVALID)
		}
	}
	wantNothingWritten(t, s)
}

func testNoteBacklog(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	n, oldest, err := s.NoteBacklog(ctx)
	mustNil(t, err)
	if n != 0 || !oldest.IsZero() {
		t.Errorf("an empty outbox: %d, %v", n, oldest)
	}
	t0 := time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range []int64{3, 1, 3} {
		_, err := s.EnqueueNote(ctx, NoteOp{ClientID: c, Op: NoteRemove, UserID: "0123456789abcdef", CreatedAt: t0.Add(time.Duration(2-i) * time.Hour)})
		mustNil(t, err)
	}
	n, oldest, err = s.NoteBacklog(ctx)
	mustNil(t, err)
	if n != 3 || !oldest.Equal(t0) || oldest.Location() != time.UTC {
		t.Errorf("NoteBacklog = %d, %v; want 3 of every client, oldest %v", n, oldest, t0)
	}
}
