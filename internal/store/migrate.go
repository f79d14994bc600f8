package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"staas"
)

// Migrations are numbered files, one directory per dialect with the same
// numbers in each: migrations/sqlite/0002_usage.sql goes with
// migrations/mysql/0002_usage.sql. A statement ends with ';' at the end of
// a line; lines starting with "--" are comments. A migration, once
// released, is never edited: a change is a new number.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version    int
	name       string
	statements []string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads and checks one dialect's migrations: numbered from
// 1 without gaps or duplicates, each with at least one statement.
func loadMigrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var migs []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("%s/%s: not a migration (want NNNN_name.sql)", dir, e.Name())
		}
		version, _ := strconv.Atoi(m[1])
		text, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		stmts, err := splitStatements(string(text))
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, e.Name(), err)
		}
		migs = append(migs, migration{version: version, name: e.Name(), statements: stmts})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("%s/%s: expected migration number %04d", dir, m.name, i+1)
		}
	}
	return migs, nil
}

// splitStatements cuts a migration into statements at each ';' that ends a
// line, dropping "--" comment lines.
func splitStatements(text string) ([]string, error) {
	var stmts []string
	var cur strings.Builder
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			stmts = append(stmts, stmt)
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		return nil, fmt.Errorf("the last statement does not end with ';'")
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("no statements")
	}
	return stmts, nil
}

// migrate applies the migrations the database lacks, each in its own
// transaction together with its row in staas_schema_migrations. Several
// processes may start at once: MySQL serialises them with a named lock,
// SQLite with the write lock BEGIN IMMEDIATE takes; either way each
// migration checks again, under the lock, whether it is still needed.
// MySQL commits DDL implicitly, so there a migration that fails part way
// is not rolled back: its statements are written to be run again.
func (s *Store) migrate(ctx context.Context) error {
	migs, err := loadMigrations(s.dialect.name)
	if err != nil {
		return &staas.Error{Code: staas.EINTERNAL, Message: "store: the embedded migrations are broken", Err: err}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return dbError("migrate the database", err)
	}
	defer conn.Close()
	if s.dialect.lockMigrations != nil {
		unlock, err := s.dialect.lockMigrations(ctx, conn)
		if err != nil {
			return err
		}
		defer unlock()
	}
	// In a transaction, so that SQLite takes the write lock up front
	// (BEGIN IMMEDIATE) and waits for another process's migration.
	err = func() error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, s.dialect.createMigrations); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return dbError("create the migrations table", err)
	}
	for _, m := range migs {
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return dbError("migrate the database", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return dbError("read the applied migrations", err)
	}
	if n > 0 {
		return nil
	}
	for i, stmt := range m.statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return dbError(fmt.Sprintf("apply migration %s (statement %d)", m.name, i+1), err)
		}
	}
	now := storedTime(time.Now())
	if _, err := tx.ExecContext(ctx, `INSERT INTO staas_schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, s.dialect.timeArg(now)); err != nil {
		return dbError("record migration "+m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return dbError("commit migration "+m.name, err)
	}
	return nil
}

// migrationLock is the MySQL named lock held while migrating. Named locks
// are server-wide, so staas installations sharing one server take turns.
const migrationLock = "staas_migrate"

// mysqlMigrationLock takes the named lock on conn, waiting up to 30 s for
// another replica to finish. The lock belongs to the connection, so the
// migrations run on that same connection and the lock dies with it.
func mysqlMigrationLock(ctx context.Context, conn *sql.Conn) (func(), error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, 30)`, migrationLock).Scan(&got); err != nil {
		return nil, dbError("take the migration lock", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, staas.Errorf(staas.EUNAVAILABLE, "store: another staas held the migration lock %q for 30 s", migrationLock)
	}
	return func() {
		// Released even when ctx is done; closing the connection would
		// release it too.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `DO RELEASE_LOCK(?)`, migrationLock); err != nil {
			// Never hand a connection that may still hold the lock back
			// to the pool: ErrBadConn makes database/sql close it, and
			// the server drops the lock with it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // returns that ErrBadConn: wanted
		}
	}, nil
}
