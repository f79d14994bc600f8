// Package store keeps staas's own state: which S3 user on which cluster
// belongs to which WHMCS client and service, the panels each admin has
// open, one-time flash messages, the audit log, the shim's replay cache,
// the note outbox, the usage ledger and bucket-size samples, the leases
// replicas share, and the cluster registry's table. The gateway and WHMCS
// are the systems of record for everything else; this is what staas alone
// knows.
//
// It runs on SQLite (the embedded default: one file, no server, pure Go,
// for one staas process) and on MySQL/MariaDB, which several staas
// replicas can share, possibly in WHMCS's own database: every table is
// named staas_*. Both backends pass the same test suite, so callers never
// need to know which one they have. Every failure is a *staas.Error:
// EINVALID (nothing was written), ENOTFOUND, ECONFLICT, EUNAVAILABLE (the
// database could not be reached or was busy; it may or may not have
// happened, retry later) or EINTERNAL.
//
// Times are kept in UTC with microsecond precision, the finest MySQL's
// DATETIME(6) holds, so a value reads back the same from either backend.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"staas"
)

// Store is staas's own state. It is safe for concurrent use, and several
// Stores (in several processes) may share one MySQL database.
type Store struct {
	db      *sql.DB
	dialect *dialect
}

// The driver names Open accepts.
const (
	driverSQLite = "sqlite"
	driverMySQL  = "mysql"
)

// Open opens the store, checks that the database answers and applies the
// migrations it lacks. driver is "sqlite", with dsn a file path, or
// "mysql", with dsn a go-sql-driver DSN such as
// "staas:pw@tcp(127.0.0.1:3306)/staas"; parseTime and loc=UTC are always
// set on it, since the store reads DATETIME columns as UTC time.Time.
func Open(ctx context.Context, driver, dsn string) (*Store, error) {
	var (
		name string
		d    *dialect
		err  error
	)
	switch driver {
	case driverSQLite:
		name, err = sqliteDSN(dsn)
		d = sqliteDialect
	case driverMySQL:
		name, err = mysqlDSN(dsn)
		d = mysqlDialect
	default:
		return nil, staas.Errorf(staas.EINVALID, "store: unknown driver %q (want %q or %q)", driver, driverSQLite, driverMySQL)
	}
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(d.driver, name)
	if err != nil {
		return nil, dbError("open the database", err)
	}
	d.configurePool(db)
	s := &Store{db: db, dialect: d}
	if err := s.firstPing(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return dbError("close the database", err)
	}
	return nil
}

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return dbError("reach the database", err)
	}
	return nil
}

// firstPing is Ping for Open. The first connection to a new SQLite file
// switches it to WAL, which needs an exclusive lock; when several
// processes start at once, SQLite may refuse one of them at once (a lock
// it could wait for forever) instead of waiting the busy timeout, so the
// connection is tried again for as long.
func (s *Store) firstPing(ctx context.Context) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.Ping(ctx)
		if err == nil || !sqliteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

func sqliteBusy(err error) bool {
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Version returns the highest migration applied to the database, which
// may be newer than this binary's own migrations during a rolling upgrade.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM staas_schema_migrations`).Scan(&v)
	if err != nil {
		return 0, dbError("read the schema version", err)
	}
	return v, nil
}

// sqliteDSN turns a file path into a modernc URI carrying the connection
// settings every connection of the pool needs: a busy timeout so that
// writers wait for each other instead of failing, WAL so that readers do
// not block the writer, foreign keys, and BEGIN IMMEDIATE for transactions
// so that two read-then-write transactions cannot deadlock on the upgrade
// from a read to a write lock.
func sqliteDSN(path string) (string, error) {
	if path == "" {
		return "", staas.Errorf(staas.EINVALID, "store: the SQLite database needs a file path")
	}
	if strings.HasPrefix(path, "file:") || path == ":memory:" {
		// A URI would carry its own parameters, and an in-memory database
		// is one per connection of the pool: neither is what staas wants.
		return "", staas.Errorf(staas.EINVALID, "store: the SQLite DSN is a file path, not %q", path)
	}
	// The driver cuts the query at the first '?', and SQLite decodes %XX
	// in a URI path: escape those, and '#', which would end the path.
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	q := "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	return "file:" + escaped + "?" + q, nil
}

// mysqlDSN parses a go-sql-driver DSN and sets what the store relies on:
// DATETIME read as time.Time in UTC, and a dial timeout so that an
// unreachable server fails Open in seconds, not minutes.
func mysqlDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's message never repeats the DSN, so no password leaks.
		return "", &staas.Error{Code: staas.EINVALID, Message: "store: the MySQL DSN is invalid: " + err.Error(), Err: err}
	}
	if cfg.DBName == "" {
		return "", staas.Errorf(staas.EINVALID, "store: the MySQL DSN names no database (…/DBNAME)")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Arguments are escaped into the statement by the driver (utf8mb4,
	// which it escapes safely), so a query is one round trip; unprepared,
	// the driver prepares, executes and closes a statement for every
	// query: three. Statements staas prepares itself stay prepared.
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return cfg.FormatDSN(), nil
}

// dialect holds what differs between the two backends; everything else is
// the same SQL.
type dialect struct {
	name   string
	driver string
	// timeArg converts a UTC time to the value bound for a time column.
	timeArg func(time.Time) any
	// upsertS3User and upsertPanel insert or update one row.
	upsertS3User string
	upsertPanel  string
	// lockFlashes selects one (admin, client)'s flashes and locks them
	// for the rest of the transaction, which begins with takeTx.
	lockFlashes string
	takeTx      *sql.TxOptions
	// lockMigrations serialises migrations across processes; nil when the
	// migration transaction itself does (SQLite's BEGIN IMMEDIATE).
	lockMigrations   func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	createMigrations string
	configurePool    func(*sql.DB)
}

const selectFlashes = `SELECT id, kind, message FROM staas_flashes WHERE admin_id = ? AND client_id = ? ORDER BY id`

var sqliteDialect = &dialect{
	name:    "sqlite",
	driver:  "sqlite",
	timeArg: func(t time.Time) any { return t.UnixNano() },
	upsertS3User: `INSERT INTO staas_s3_users (client_id, service_id, cluster, user_id, email, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, service_id) DO UPDATE SET
			cluster = excluded.cluster, user_id = excluded.user_id,
			email = excluded.email, updated_at = excluded.updated_at`,
	upsertPanel: `INSERT INTO staas_panels (admin_id, client_id, panel, params, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (admin_id, client_id, panel) DO UPDATE SET
			params = excluded.params, updated_at = excluded.updated_at`,
	// The transaction began with BEGIN IMMEDIATE and holds the database's
	// write lock already.
	lockFlashes: selectFlashes,
	createMigrations: `CREATE TABLE IF NOT EXISTS staas_schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`,
	configurePool: func(db *sql.DB) {
		// One connection: SQLite has one writer at a time anyway, and
		// writers that wait in SQLite's busy handler are not served in
		// order, so under load one can starve past the busy timeout.
		// database/sql queues callers for the connection instead. Several
		// processes on one file still wait for each other (busy_timeout);
		// several replicas should share MySQL instead.
		db.SetMaxOpenConns(1)
	},
}

var mysqlDialect = &dialect{
	name:    "mysql",
	driver:  "mysql",
	timeArg: func(t time.Time) any { return t },
	// VALUES() rather than the row alias of MySQL 8.0.19, which MariaDB
	// does not have.
	upsertS3User: `INSERT INTO staas_s3_users (client_id, service_id, cluster, user_id, email, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE
			cluster = VALUES(cluster), user_id = VALUES(user_id),
			email = VALUES(email), updated_at = VALUES(updated_at)`,
	upsertPanel: `INSERT INTO staas_panels (admin_id, client_id, panel, params, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE params = VALUES(params), updated_at = VALUES(updated_at)`,
	lockFlashes: selectFlashes + ` FOR UPDATE`,
	// READ COMMITTED locks the rows read and no gaps: takers queue on the
	// same rows in index order instead of deadlocking with each other
	// and with the inserts of AddFlash, as REPEATABLE READ's gap locks do.
	takeTx: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	createMigrations: `CREATE TABLE IF NOT EXISTS staas_schema_migrations (
		version    INT         NOT NULL PRIMARY KEY,
		applied_at DATETIME(6) NOT NULL
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	lockMigrations: mysqlMigrationLock,
	configurePool: func(db *sql.DB) {
		// staas may share WHMCS's server: stay well under its
		// max_connections, and drop connections before a server's or a
		// proxy's idle timeout does.
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxLifetime(5 * time.Minute)
		db.SetConnMaxIdleTime(time.Minute)
	},
}

// dbTime scans a time column of either backend (unix nanoseconds from
// SQLite, time.Time from MySQL) into a UTC time.
type dbTime struct{ t *time.Time }

func (d dbTime) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*d.t = time.Unix(0, x).UTC()
	case time.Time:
		*d.t = x.UTC()
	default:
		return errors.New("store: unexpected time value")
	}
	return nil
}

// storedTime is t as the store keeps it: UTC, whole microseconds.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// dbError turns a driver error into a *staas.Error: EUNAVAILABLE when the
// database could not be reached or was too busy to answer in time (worth a
// retry), EINTERNAL otherwise. The message names what failed but holds
// nothing from the driver; the cause is kept in Err for the logs.
func dbError(what string, err error) error {
	if unavailable(err) {
		return &staas.Error{Code: staas.EUNAVAILABLE, Message: "store: could not " + what + ": the database is unavailable", Err: err}
	}
	return &staas.Error{Code: staas.EINTERNAL, Message: "store: could not " + what, Err: err}
}

// MySQL server error numbers the store tells apart.
const (
	erDupEntry         = 1062
	erDataOutOfRange   = 1690 // BIGINT UNSIGNED value is out of range
	erConCount         = 1040 // too many connections
	erServerShutdown   = 1053
	erLockWaitTimeout  = 1205
	erLockDeadlock     = 1213
	erConnectionKilled = 1927
)

func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case erConCount, erServerShutdown, erLockWaitTimeout, erLockDeadlock, erConnectionKilled:
			return true
		}
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return true
		}
	}
	return false
}

// duplicateKey reports whether err is a primary key or unique violation.
func duplicateKey(err error) bool {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number == erDupEntry
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		c := liteErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// deadlock reports whether InnoDB rolled the transaction back to break a
// deadlock, after which the whole transaction may simply run again.
func deadlock(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && myErr.Number == erLockDeadlock
}

// txAttempts is how often a transaction that deadlocked is tried.
const txAttempts = 6

// inTx runs fn in a transaction (BEGIN IMMEDIATE on SQLite), committing
// when it returns nil. A transaction InnoDB chose as a deadlock victim is
// run again after a short backoff, up to txAttempts times in all.
func (s *Store) inTx(ctx context.Context, opts *sql.TxOptions, what string, fn func(*sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < txAttempts; attempt++ {
		if attempt > 0 {
			// InnoDB picks a deadlock victim and asks for a retry; retrying
			// at once under contention (eight concurrent flash takers in
			// a CI run) can deadlock again every time, so back off a
			// jittered, doubling few milliseconds.
			wait := time.Duration(rand.Int64N(int64(2*time.Millisecond) << attempt))
			select {
			case <-ctx.Done():
				return dbError(what, ctx.Err())
			case <-time.After(wait):
			}
		}
		err = s.tryTx(ctx, opts, fn)
		if err == nil || !deadlock(err) {
			break
		}
	}
	if err == nil {
		return nil
	}
	var se *staas.Error
	if errors.As(err, &se) {
		return err
	}
	return dbError(what, err)
}

func (s *Store) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
