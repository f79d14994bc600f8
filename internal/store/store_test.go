package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"staas"
	"staas/standin/mariadbtest"
)

func TestMain(m *testing.M) { mariadbtest.Main(m) }

// backend is one database staas runs on; every case of the suite runs on
// each, against a fresh database.
type backend struct {
	name   string
	driver string
	dsn    func(t *testing.T) string
}

var backends = []backend{
	{"sqlite", driverSQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "staas.db") }},
	{"mariadb", driverMySQL, func(t *testing.T) string { return mariadbtest.NewDatabase(t) }},
}

type suiteCase struct {
	name string
	fn   func(t *testing.T, b backend)
}

// suite is the one test suite both backends must pass.
var suite = []suiteCase{
	{"Migrations", testMigrations},
	{"MigrationsConcurrent", testMigrationsConcurrent},
	{"MigrationsFromNewerBinary", testMigrationsFromNewerBinary},
	{"Schema", testSchema},
	{"S3Users", testS3Users},
	{"S3UserKeepsCreatedAt", testS3UserKeepsCreatedAt},
	{"S3UsersOfCluster", testS3UsersOfCluster},
	{"S3UserInvalid", testS3UserInvalid},
	{"Panels", testPanels},
	{"PanelsInvalid", testPanelsInvalid},
	{"Flashes", testFlashes},
	{"FlashesConcurrent", testFlashesConcurrent},
	{"FlashesInvalid", testFlashesInvalid},
	{"Audit", testAudit},
	{"AuditPaging", testAuditPaging},
	{"AuditLimits", testAuditLimits},
	{"AuditInvalid", testAuditInvalid},
	{"AuditActors", testAuditActors},
	{"AuditAdminName", testAuditAdminName},
	{"AuditFinish", testAuditFinish},
	{"Migration0004", testMigration0004},
	{"S3UserByServiceAndMove", testS3UserByServiceAndMove},
	{"Orphans", testOrphans},
	{"OrphansInvalid", testOrphansInvalid},
	{"NoteBacklog", testNoteBacklog},
	{"Nonces", testNonces},
	{"NoncesConcurrent", testNoncesConcurrent},
	{"NoncesInvalid", testNoncesInvalid},
	{"NoteOutbox", testNoteOutbox},
	{"NoteOutboxColumns", testNoteOutboxColumns},
	{"NoteOutboxInvalid", testNoteOutboxInvalid},
	{"Intents", testIntents},
	{"PruneDoneIntents", testPruneDoneIntents},
	{"Migration0009Rerun", testMigration0009Rerun},
	{"HostileText", testHostileText},
	{"TimesUTC", testTimesUTC},
	{"Cancelled", testCancelled},
	{"Clusters", testClusters},
	{"ClustersSeedAfterAdd", testClustersSeedAfterAdd},
	{"Resellers", testResellers},
	{"ResellersInvalid", testResellersInvalid},
	{"LoginFailures", testLoginFailures},
	{"ResellerTOTP", testResellerTOTP},
	{"Migration0008Rerun", testMigration0008Rerun},
}

func TestStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) { c.fn(t, b) })
			}
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// open opens a store on dsn and closes it when t ends.
func open(t *testing.T, b backend, dsn string) *Store {
	t.Helper()
	s, err := Open(ctxFor(t), b.driver, dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", b.driver, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newStore opens a store on a fresh database.
func newStore(t *testing.T, b backend) *Store {
	t.Helper()
	return open(t, b, b.dsn(t))
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var tables = []string{"staas_s3_users", "staas_panels", "staas_flashes", "staas_audit", "staas_nonces", "staas_resellers"}

// rowCounts counts the rows of every table of the store.
func rowCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		// table is one of the fixed names above.
		if err := s.db.QueryRowContext(ctxFor(t), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

// wantNothingWritten fails when any table has a row.
func wantNothingWritten(t *testing.T, s *Store) {
	t.Helper()
	for table, n := range rowCounts(t, s) {
		if n != 0 {
			t.Errorf("%s has %d rows after invalid input; want nothing written", table, n)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := ctxFor(t)
	cases := []struct {
		name, driver, dsn, code, msg string
	}{
		{"unknown driver", "postgres", "x", staas.EINVALID, `unknown driver "postgres"`},
		{"sqlite without path", driverSQLite, "", staas.EINVALID, "file path"},
		{"sqlite URI", driverSQLite, "file:x.db?mode=ro", staas.EINVALID, "file path"},
		{"sqlite in memory", driverSQLite, ":memory:", staas.EINVALID, "file path"},
		{"sqlite in a missing directory", driverSQLite, filepath.Join(t.TempDir(), "missing", "staas.db"), staas.EUNAVAILABLE, "unavailable"},
		{"mysql DSN unparsable", driverMySQL, "staas:secretpw@tcp(127.0.0.1:3306", staas.EINVALID, "DSN is invalid"},
		{"mysql without database", driverMySQL, "staas:secretpw@tcp(127.0.0.1:3306)/", staas.EINVALID, "names no database"},
		// Port 1 on loopback: nothing listens, the connection is refused.
		{"mysql unreachable", driverMySQL, "staas:secretpw@tcp(127.0.0.1:1)/staas", staas.EUNAVAILABLE, "unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(ctx, c.driver, c.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			wantCode(t, err, c.code)
			if msg := staas.ErrorMessage(err); !strings.Contains(msg, c.msg) || strings.Contains(msg, "secretpw") {
				t.Errorf("message %q: want it to say %q and never the password", msg, c.msg)
			}
		})
	}
}

func TestMySQLDSN(t *testing.T) {
	cases := []struct {
		in      string
		timeout time.Duration
		keep    []string // other parameters, kept
	}{
		{"staas:pw@tcp(db:3306)/staas", 10 * time.Second, nil},
		// Set wrongly: the store needs both, so they are overridden.
		{"staas:pw@tcp(db:3306)/staas?parseTime=false&loc=Local", 10 * time.Second, nil},
		{"staas:pw@tcp(db:3306)/staas?loc=Europe%2FBerlin&parseTime=0", 10 * time.Second, nil},
		{"u:p%40ss@unix(/run/mysqld/mysqld.sock)/whmcs?tls=skip-verify&timeout=3s&charset=utf8mb4", 3 * time.Second, []string{"charset=utf8mb4", "tls=skip-verify", "u:p%40ss@"}},
	}
	for _, c := range cases {
		got, err := mysqlDSN(c.in)
		mustNil(t, err)
		cfg, err := mysql.ParseDSN(got)
		mustNil(t, err)
		orig, _ := mysql.ParseDSN(c.in)
		if !cfg.ParseTime || cfg.Loc != time.UTC || cfg.Timeout != c.timeout {
			t.Errorf("mysqlDSN(%q) = %q: parseTime %v, loc %v, timeout %v; want true, UTC, %v", c.in, got, cfg.ParseTime, cfg.Loc, cfg.Timeout, c.timeout)
		}
		if cfg.User != orig.User || cfg.Passwd != orig.Passwd || cfg.Net != orig.Net || cfg.Addr != orig.Addr || cfg.DBName != orig.DBName || cfg.TLSConfig != orig.TLSConfig {
			t.Errorf("mysqlDSN(%q) = %q: the connection settings changed", c.in, got)
		}
		for _, k := range c.keep {
			if !strings.Contains(got, k) {
				t.Errorf("mysqlDSN(%q) = %q lost %s", c.in, got, k)
			}
		}
	}
}

// A file name may hold any character, those special in a URI included.
func TestSQLitePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd dir?#%25")
	mustNil(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "staas?.db#x%41")
	s, err := Open(ctxFor(t), driverSQLite, path)
	mustNil(t, err)
	mustNil(t, s.SetPanel(ctxFor(t), 1, 1, "usage", "x"))
	mustNil(t, s.Close())
	entries, err := os.ReadDir(dir)
	mustNil(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Contains(names, "staas?.db#x%41") {
		t.Fatalf("files in %s: %q; want the database at exactly %q", dir, names, path)
	}
	// And it is the same database when opened again.
	s = open(t, backends[0], path)
	if p, err := s.Panels(ctxFor(t), 1, 1); err != nil || p["usage"] != "x" {
		t.Errorf("reopened database: panels %v, %v", p, err)
	}
}
