package mariadbtest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Environment of the child test binaries TestMainCleansUp starts.
const (
	envNoTools = "MARIADBTEST_TEST_NO_TOOLS" // hide MariaDB: Main must fail
	envReport  = "MARIADBTEST_TEST_REPORT"   // write the server's dir and pid here
	envPanic   = "MARIADBTEST_TEST_PANIC"    // then panic
)

func TestMain(m *testing.M) {
	if os.Getenv(envNoTools) == "1" {
		toolDirs = nil // and the parent gave an empty PATH
	}
	Main(m)
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNewDatabase(t *testing.T) {
	dsn := NewDatabase(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("NewDatabase returned an unparsable DSN %q: %v", dsn, err)
	}
	if cfg.Net != "tcp" || !strings.HasPrefix(cfg.Addr, "127.0.0.1:") || cfg.User != "root" {
		t.Errorf("DSN %q: want root over TCP to 127.0.0.1", dsn)
	}
	db := open(t, dsn)
	ctx := context.Background()

	var name, charset string
	if err := db.QueryRowContext(ctx, `SELECT DATABASE(), @@character_set_database`).Scan(&name, &charset); err != nil {
		t.Fatal(err)
	}
	if name != cfg.DBName {
		t.Errorf("connected to database %q, DSN names %q", name, cfg.DBName)
	}
	if charset != "utf8mb4" {
		t.Errorf("database character set %q, want utf8mb4 (4-byte UTF-8 such as emoji)", charset)
	}

	// InnoDB, transactions and 4-byte UTF-8 work, as staas needs them.
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20)) ENGINE=InnoDB`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (1, ?)`, "déjà 🪣"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var s, engine string
	if err := db.QueryRowContext(ctx, `SELECT s FROM t WHERE id = 1`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	if s != "déjà 🪣" {
		t.Errorf("read back %q", s)
	}
	if err := db.QueryRowContext(ctx, `SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'`).Scan(&engine); err != nil {
		t.Fatal(err)
	}
	if engine != "InnoDB" {
		t.Errorf("engine %q, want InnoDB", engine)
	}
}

func schemaExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestDatabasesAreSeparateAndDropped(t *testing.T) {
	admin := open(t, NewDatabase(t))
	var names []string
	t.Run("inner", func(t *testing.T) {
		for range 2 {
			cfg, err := mysql.ParseDSN(NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, cfg.DBName)
		}
		if names[0] == names[1] {
			t.Fatalf("two calls gave the same database %q", names[0])
		}
		a := open(t, "root@tcp("+current.addr+")/"+names[0])
		if _, err := a.Exec(`CREATE TABLE only_here (id INT)`); err != nil {
			t.Fatal(err)
		}
		b := open(t, "root@tcp("+current.addr+")/"+names[1])
		if _, err := b.Exec(`SELECT * FROM only_here`); err == nil {
			t.Error("a table created in one database is visible in the other")
		}
		for _, n := range names {
			if !schemaExists(t, admin, n) {
				t.Errorf("database %s does not exist during the test", n)
			}
		}
	})
	for _, n := range names {
		if schemaExists(t, admin, n) {
			t.Errorf("database %s still exists after its test ended", n)
		}
	}
}

func TestNewDatabaseConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	dsns := make([]string, 8)
	for i := range dsns {
		wg.Go(func() { dsns[i] = NewDatabase(t) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, d := range dsns {
		if seen[d] {
			t.Errorf("DSN %q handed out twice", d)
		}
		seen[d] = true
	}
}

func TestDatabaseName(t *testing.T) {
	long := strings.Repeat("TestVeryLong/Sub test#01", 10)
	cases := map[string]struct {
		test string
		seq  int64
		want string
	}{
		"plain":    {"TestStore", 1, "t1_teststore"},
		"subtest":  {"TestStore/mariadb", 12, "t12_teststore_mariadb"},
		"symbols":  {"Test`x`; DROP DATABASE mysql; --", 3, "t3_test_x_drop_database_mysql_"},
		"too long": {long, 99999, ("t99999_" + strings.Repeat("testverylong_sub_test_01", 10))[:64]},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := databaseName(c.test, c.seq); got != c.want {
				t.Errorf("databaseName(%q, %d) = %q, want %q", c.test, c.seq, got, c.want)
			}
		})
	}
}

func TestFindTool(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "mariadbd")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "mariadb-install-db")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // empty: the fallback directories must be searched

	if got, err := findTool("mariadbd", []string{"/nonexistent", dir}); err != nil || got != tool {
		t.Errorf("findTool in a fallback directory = %q, %v; want %q", got, err, tool)
	}
	for _, name := range []string{"mariadb-install-db", "mariadbd"} {
		_, err := findTool(name, []string{"/nonexistent"})
		if err == nil || !strings.Contains(err.Error(), notInstalled) {
			t.Errorf("findTool(%q) with nothing installed: %v; want the install hint", name, err)
		}
	}
	if _, err := findTool("mariadb-install-db", []string{dir}); err == nil {
		t.Error("findTool accepted a file that is not executable")
	}
}

// TestServerIsPrivate also serves TestMainCleansUp: run as a child with
// envReport set, it reports where its server lives.
func TestServerIsPrivate(t *testing.T) {
	srv := current
	owner, err := os.ReadFile(filepath.Join(srv.dir, ownerFile))
	if err != nil || strings.TrimSpace(string(owner)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("owner file of %s = %q, %v; want this process %d", srv.dir, owner, err, os.Getpid())
	}
	db := open(t, NewDatabase(t))
	var datadir, socket, bind string
	var networking int
	if err := db.QueryRow(`SELECT @@datadir, @@socket, @@bind_address, @@skip_networking`).Scan(&datadir, &socket, &bind, &networking); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(datadir, srv.dir+"/") || !strings.HasPrefix(socket, srv.dir+"/") {
		t.Errorf("datadir %s, socket %s: want both in the private directory %s", datadir, socket, srv.dir)
	}
	if bind != "127.0.0.1" || networking != 0 {
		t.Errorf("bind address %q, skip_networking %d: want 127.0.0.1 and networking on", bind, networking)
	}
	if path := os.Getenv(envReport); path != "" {
		report := srv.dir + "\n" + strconv.Itoa(srv.cmd.Process.Pid) + "\n"
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		if os.Getenv(envPanic) == "1" {
			panic("mariadbtest: a test panics, as tests do")
		}
	}
}

// waitGone waits for a process to end; a zombie counts as ended.
func waitGone(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// pid (comm) S ...: the state follows the last ')'.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
