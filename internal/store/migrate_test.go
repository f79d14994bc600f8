package store

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// migrationRows returns the versions recorded in staas_schema_migrations,
// duplicates included.
func migrationRows(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.db.QueryContext(ctxFor(t), `SELECT version FROM staas_schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		mustNil(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	mustNil(t, rows.Err())
	return versions
}

func wantedVersions(t *testing.T, b backend) []int {
	t.Helper()
	migs, err := loadMigrations(b.dialectName())
	mustNil(t, err)
	var want []int
	for _, m := range migs {
		want = append(want, m.version)
	}
	return want
}

func (b backend) dialectName() string {
	if b.driver == driverMySQL {
		return mysqlDialect.name
	}
	return sqliteDialect.name
}

func testMigrations(t *testing.T, b backend) {
	dsn := b.dsn(t)
	want := wantedVersions(t, b)
	first := open(t, b, dsn)
	if got := migrationRows(t, first); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the first Open, applied migrations %v, want %v", got, want)
	}
	// Data survives a second Open, which applies nothing again.
	mustNil(t, first.SetPanel(ctxFor(t), 1, 2, "usage", "a=1"))
	second := open(t, b, dsn)
	if got := migrationRows(t, second); !reflect.DeepEqual(got, want) {
		t.Errorf("after a second Open, applied migrations %v, want %v (one row each)", got, want)
	}
	v, err := second.Version(ctxFor(t))
	mustNil(t, err)
	if v != want[len(want)-1] {
		t.Errorf("Version = %d, want %d", v, want[len(want)-1])
	}
	panels, err := second.Panels(ctxFor(t), 1, 2)
	mustNil(t, err)
	if panels["usage"] != "a=1" {
		t.Errorf("a panel saved before the second Open reads %v", panels)
	}
	mustNil(t, second.Ping(ctxFor(t)))
}

// Several replicas starting at once on an empty database: all open, and
// each migration is applied once.
func testMigrationsConcurrent(t *testing.T, b backend) {
	dsn := b.dsn(t)
	const replicas = 6
	var wg sync.WaitGroup
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(ctxFor(t), b.driver, dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Open: %v (%v)", i, err, errors.Unwrap(err))
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	if got, want := migrationRows(t, stores[0]), wantedVersions(t, b); !reflect.DeepEqual(got, want) {
		t.Errorf("applied migrations %v, want %v (one row each)", got, want)
	}
	// Every replica works on the shared schema.
	for i, s := range stores {
		mustNil(t, s.RememberNonce(ctxFor(t), fmt.Sprintf("replica-nonce-%04d", i), farFuture))
	}
}

// A database already migrated by a newer staas (rolling upgrade): an older
// binary still opens it and reports the newer version.
func testMigrationsFromNewerBinary(t *testing.T, b backend) {
	dsn := b.dsn(t)
	s := open(t, b, dsn)
	_, err := s.db.ExecContext(ctxFor(t), `INSERT INTO staas_schema_migrations (version, applied_at) VALUES (?, ?)`,
		999, s.dialect.timeArg(storedTime(farFuture)))
	mustNil(t, err)
	again := open(t, b, dsn)
	v, err := again.Version(ctxFor(t))
	mustNil(t, err)
	if v != 999 {
		t.Errorf("Version = %d, want 999", v)
	}
}

// testSchema checks what the migrations promise each backend: prefixed
// tables, and on MySQL InnoDB in utf8mb4.
func testSchema(t *testing.T, b backend) {
	s := newStore(t, b)
	rowCounts(t, s) // every table exists
	if b.driver != driverMySQL {
		var mode string
		var timeout, fk int
		mustNil(t, s.db.QueryRowContext(ctxFor(t), `PRAGMA journal_mode`).Scan(&mode))
		mustNil(t, s.db.QueryRowContext(ctxFor(t), `PRAGMA busy_timeout`).Scan(&timeout))
		mustNil(t, s.db.QueryRowContext(ctxFor(t), `PRAGMA foreign_keys`).Scan(&fk))
		if mode != "wal" || timeout != 5000 || fk != 1 {
			t.Errorf("journal_mode %q, busy_timeout %d, foreign_keys %d; want wal, 5000, 1", mode, timeout, fk)
		}
		return
	}
	rows, err := s.db.QueryContext(ctxFor(t), `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
	mustNil(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name, engine, collation string
		mustNil(t, rows.Scan(&name, &engine, &collation))
		names = append(names, name)
		if engine != "InnoDB" || collation != "utf8mb4_unicode_ci" {
			t.Errorf("table %s: engine %s, collation %s; want InnoDB, utf8mb4_unicode_ci", name, engine, collation)
		}
	}
	mustNil(t, rows.Err())
	want := []string{"staas_audit", "staas_clusters", "staas_flashes", "staas_intents", "staas_leases", "staas_login_failures", "staas_nonces", "staas_note_outbox", "staas_panels", "staas_resellers", "staas_s3_users", "staas_schema_migrations", "staas_storage_last", "staas_storage_samples", "staas_usage_ledger", "staas_usage_objects"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("tables %v, want %v", names, want)
	}
}

func TestMigrationFiles(t *testing.T) {
	sqliteMigs, err := loadMigrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	mysqlMigs, err := loadMigrations("mysql")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqliteMigs) == 0 || len(sqliteMigs) != len(mysqlMigs) {
		t.Fatalf("%d SQLite and %d MySQL migrations; want the same, at least one", len(sqliteMigs), len(mysqlMigs))
	}
	for i := range sqliteMigs {
		if sqliteMigs[i].name != mysqlMigs[i].name {
			t.Errorf("migration %d is %s for SQLite but %s for MySQL", i+1, sqliteMigs[i].name, mysqlMigs[i].name)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		want    []string
		wantErr bool
	}{
		{"two statements", "CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", []string{"CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"}, false},
		{"comments and blank lines", "-- one\n\nCREATE TABLE a (\n\tx INT -- inline stays\n);\n  -- two\n", []string{"CREATE TABLE a (\n\tx INT -- inline stays\n)"}, false},
		{"semicolon inside a line", "INSERT INTO a VALUES ('x;y');\n", []string{"INSERT INTO a VALUES ('x;y')"}, false},
		{"no final newline", "SELECT 1;", []string{"SELECT 1"}, false},
		{"unterminated", "CREATE TABLE a (x INT);\nCREATE TABLE b (y INT)\n", nil, true},
		{"empty", "-- nothing\n", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := splitStatements(c.text)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error %v", err, c.wantErr)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
