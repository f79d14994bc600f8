// Package mariadbtest runs tests against a real MariaDB server, started
// privately for one test binary, so that code speaking SQL to MySQL/MariaDB
// (internal/store, internal/whmcs) is tested against the engine it will meet,
// not a fake. No shared server, no credentials, no Docker: the server lives
// in a temporary directory and dies with the tests. When MariaDB is not
// installed the tests fail, never skip, so a green run always means the
// MySQL code paths ran.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { mariadbtest.Main(m) }
//
// and give each test its own database:
//
//	dsn := mariadbtest.NewDatabase(t)
package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// notInstalled is what a test run without MariaDB says.
const notInstalled = "mariadb-server is not installed: run scripts/test.sh as root or apt-get install mariadb-server"

// readyTimeout is how long the server gets to accept connections.
const readyTimeout = 30 * time.Second

// toolDirs are searched after PATH: Debian installs mariadbd in /usr/sbin,
// which a non-root PATH often lacks.
var toolDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}

// server is the one MariaDB of this test binary, set by Main.
var (
	mu      sync.Mutex
	current *server
	dbSeq   atomic.Int64
)

type server struct {
	dir  string // temporary directory: datadir, socket, logs
	addr string // 127.0.0.1:port
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	db   *sql.DB       // root connection for CREATE/DROP DATABASE
}

// Main starts a private MariaDB server, runs the tests, stops the server,
// removes its files and exits with the tests' status. A server that cannot
// be started makes the whole binary fail with the reason and the server's
// error log.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if fuzzWorker() {
		// A fuzz worker only runs the fuzz target, never a database test;
		// starting one server per worker slows their start-up until the
		// fuzz coordinator gives up on them ("terminated without fuzzing").
		return m.Run()
	}
	removeStale()
	srv, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mariadbtest:", err)
		return 1
	}
	mu.Lock()
	current = srv
	mu.Unlock()

	// Interrupted (^C, or killed by a CI runner with SIGTERM): stop the
	// server and remove its files before dying. A test that panics or
	// times out kills the binary without running deferred calls; then
	// the kernel kills the server (Pdeathsig, on Linux) and the next run
	// removes the files (removeStale).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if sig, ok := <-sigs; ok {
			srv.stop()
			fmt.Fprintf(os.Stderr, "mariadbtest: %v: stopped MariaDB\n", sig)
			os.Exit(1)
		}
	}()
	defer func() {
		signal.Stop(sigs)
		srv.stop()
	}()
	return m.Run()
}

// fuzzWorker reports whether this process is one of `go test -fuzz`'s
// workers rather than the test binary itself.
func fuzzWorker() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// NewDatabase creates an empty database for t on the server Main started
// and returns a go-sql-driver DSN for it (root over TCP). The database is
// dropped when t ends. Tests may use as many as they like; each is
// independent, so tests using NewDatabase may run in parallel.
func NewDatabase(t testing.TB) string {
	t.Helper()
	mu.Lock()
	srv := current
	mu.Unlock()
	if srv == nil {
		t.Fatal("mariadbtest: no server: call mariadbtest.Main(m) from TestMain")
	}
	name := databaseName(t.Name(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("mariadbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := srv.db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("mariadbtest: drop database %s: %v", name, err)
		}
	})
	return srv.dsn(name)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseName is unique in the binary and shows which test made it, for
// whoever reads a server log: t7_teststore_mariadb.
func databaseName(testName string, seq int64) string {
	prefix := "t" + strconv.FormatInt(seq, 10) + "_"
	readable := unsafeName.ReplaceAllString(strings.ToLower(testName), "_")
	return prefix + truncate(readable, 64-len(prefix))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *server) dsn(dbName string) string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = s.addr
	cfg.DBName = dbName
	return cfg.FormatDSN()
}

// findTool finds a MariaDB program on PATH or in dirs.
func findTool(name string, dirs []string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in %s: %s", name, strings.Join(dirs, ", "), notInstalled)
}

// ownerFile names the process that made a temporary directory, so that a
// later run can tell a leftover from a directory in use.
const (
	dirPattern = "mariadbtest-*"
	ownerFile  = "owner.pid"
)

func start() (*server, error) {
	mariadbd, err := findTool("mariadbd", toolDirs)
	if err != nil {
		return nil, err
	}
	installDB, err := findTool("mariadb-install-db", toolDirs)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempRoot(), dirPattern)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv, err := startIn(dir, mariadbd, installDB)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return srv, nil
}

// tempRoot is the directory for the server's files. A unix socket path
// is limited to 107 bytes, so a long TMPDIR falls back to /tmp.
func tempRoot() string {
	if root := os.TempDir(); len(root) < 60 {
		return root
	}
	return "/tmp"
}

func asRoot() bool { return os.Geteuid() == 0 }

func startIn(dir, mariadbd, installDB string) (*server, error) {
	datadir := filepath.Join(dir, "data")
	// --no-defaults first: no /etc/mysql/my.cnf of the machine applies.
	args := []string{
		"--no-defaults",
		"--datadir=" + datadir,
		// Its own tmpdir, as the server gets below: a mariadbd starting
		// deletes the "#sql*" files in its tmpdir, so with a shared /tmp
		// one test binary's bootstrap deleted another's temporary tables
		// ("Error on delete of '/tmp/#sql-temptable-…'", seen in CI).
		"--tmpdir=" + dir,
		"--auth-root-authentication-method=normal", // root without a password, over TCP too
		"--skip-test-db",
		"--skip-name-resolve",
	}
	if asRoot() {
		args = append(args, "--user=root")
	}
	install := exec.Command(installDB, args...)
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s failed: %v\n%s", installDB, err, out)
	}

	// The port is free when asked but may be taken before mariadbd binds
	// it (another test binary starting its own server): try a few.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		srv, err := launch(dir, mariadbd)
		if err == nil {
			return srv, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port taken")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launch(dir, mariadbd string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	errLog := filepath.Join(dir, "error.log")
	os.Remove(errLog)
	args := []string{
		"--no-defaults",
		"--datadir=" + filepath.Join(dir, "data"),
		"--tmpdir=" + dir,
		"--socket=" + filepath.Join(dir, "mariadbd.sock"),
		"--pid-file=" + filepath.Join(dir, "mariadbd.pid"),
		"--log-error=" + errLog,
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(port),
		"--skip-networking=0",
		"--skip-name-resolve",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
		// Fast: the data is thrown away. The buffer pool and redo log
		// hold a benchmark's ledger (500,000 rows): at 16 MB each the
		// sparse ingest benchmark spent its time evicting pages and
		// checkpointing (27,500 items/s against 75,000). The pool's
		// memory is touched only as pages are used; the redo log is a
		// 256 MB file in the server's temporary directory.
		"--innodb-buffer-pool-size=256M",
		"--innodb-log-file-size=256M",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		"--key-buffer-size=1M",
		"--performance-schema=OFF",
		"--skip-log-bin",
		"--max-connections=200",
	}
	if asRoot() {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(mariadbd, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	var out bytes.Buffer // before --log-error takes over
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", mariadbd, err)
	}
	srv := &server{dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, done: make(chan struct{})}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(srv.done)
	}()

	failed := func(why string) error {
		srv.kill()
		log, _ := os.ReadFile(errLog)
		if bytes.Contains(log, []byte("Do you already have another server running on port")) ||
			bytes.Contains(log, []byte("Address already in use")) {
			return errPortTaken
		}
		return fmt.Errorf("%s\n--- %s ---\n%s%s", why, errLog, log, out.String())
	}

	db, err := sql.Open("mysql", srv.dsn(""))
	if err != nil {
		return nil, failed(err.Error())
	}
	db.SetMaxIdleConns(2)
	srv.db = db
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return srv, nil
		}
		select {
		case <-srv.done:
			return nil, failed(fmt.Sprintf("mariadbd exited before accepting connections (%v)", waitErr))
		default:
		}
		if time.Now().After(deadline) {
			return nil, failed(fmt.Sprintf("mariadbd did not accept connections on %s within %v: %v", srv.addr, readyTimeout, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the server at once; its data is thrown away, so it needs no
// clean shutdown.
func (s *server) kill() {
	if s.db != nil {
		s.db.Close()
	}
	_ = s.cmd.Process.Kill() // fails only when it has exited already
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

var stopOnce sync.Once

func (s *server) stop() {
	stopOnce.Do(func() {
		s.kill()
		os.RemoveAll(s.dir)
	})
}

// removeStale removes the directories of earlier runs whose process is
// gone (a panic or a timeout ends a test binary without cleanup).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(tempRoot(), dirPattern))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue // not ours, or still being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		os.RemoveAll(d)
	}
}
