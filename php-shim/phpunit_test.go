// Package phpshim runs the PHP shim's PHPUnit suite against a real staas.
//
// The package holds tests only: WHMCS admins copy php-shim/includes and
// php-shim/modules, never this file. The harness builds ./cmd/staas, runs
// `staas serve` twice as subprocesses (two policies: see servers) against
// the ostor simulator and the WHMCS API stand-in, serves a small control
// API through which the PHP tests seed clients, make buckets, inject
// gateway faults and read the gateway's state, and reports each PHPUnit
// test case as a Go subtest, so its failures and its count show up in
// `go test` like any other test.
package phpshim

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the WHMCS stand-in's database

	"staas/internal/ostor"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
)

// installHint is what a machine without PHP needs.
const installHint = "install them with: apt-get install php-cli php-curl phpunit php-codesniffer (scripts/test.sh does so when run as root)"

// requireTool fails the test, never skips it, when a tool is missing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed, so the PHP shim cannot be tested; %s", name, installHint)
	}
	return p
}

// requirePHPCurl fails unless PHP has the curl extension the shim needs.
func requirePHPCurl(t *testing.T, php string) {
	t.Helper()
	out, err := exec.Command(php, "-m").Output()
	if err != nil {
		t.Fatalf("php -m: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "curl" {
			return
		}
	}
	t.Fatalf("PHP's curl extension is missing (php -m does not list curl); %s", installHint)
}

// repoRoot is the module root: php-shim's parent.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// buildStaas builds the real binary the way an operator would run it.
func buildStaas(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "staas")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/staas")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/staas: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer collects a subprocess's output for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 4<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// staasProcess is one running `staas serve`.
type staasProcess struct {
	URL    string
	stderr *lockedBuffer
}

// startServe runs `staas serve` with env (and nothing of this process's
// STAAS_* environment), waits until /readyz answers 200, and stops it
// with SIGTERM when the test ends.
func startServe(t *testing.T, bin string, env map[string]string) *staasProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TZ=UTC"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &staasProcess{stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start staas serve: %v", err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u := re.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Logf("staas serve ended on SIGTERM with %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Logf("staas serve killed after 15 s: %v", <-exited)
		}
	})
	select {
	case p.URL = <-urls:
	case err := <-exited:
		t.Fatalf("staas serve exited before listening: %v\n%s", err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("staas serve printed no address within 30s\n%s", p.stderr.String())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("staas at %s is not ready after 30s (last: %v)\n%s", p.URL, err, p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// closedURL is an address on which nothing listens: staas "down".
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// world is everything the PHP tests run against.
type world struct {
	secret  string
	a, b    *staasProcess
	control *httptest.Server
	fake    *httptest.Server
	down    string
}

// servers start the world: the simulator, the WHMCS stand-in, the
// control API and two staas servers sharing them. Server A has the
// default policies (no S3 user on ClientAdd, deleted clients' S3 users
// disabled); server B creates S3 users on ClientAdd and deletes those of
// deleted clients. Each has its own store.
func servers(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	gw := httptest.NewServer(sim)
	t.Cleanup(gw.Close)
	creds := sim.SystemCredentials()
	gateway, err := ostor.New(ostor.Config{Endpoint: gw.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "whmcs.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := whmcssim.CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	apiSecret := randomHex(t, 16)
	api := whmcssim.NewAPI(db, whmcssim.Credentials{Identifier: "staas-phpunit", Secret: apiSecret})
	whmcs := httptest.NewServer(api)
	t.Cleanup(whmcs.Close)

	w := &world{secret: "phpunit-" + randomHex(t, 24), down: closedURL(t)}
	fake := &fakeStaas{secret: []byte(w.secret)}
	w.fake = httptest.NewServer(fake)
	t.Cleanup(w.fake.Close)
	w.control = httptest.NewServer(newControl(sim, gateway, db, fake))
	t.Cleanup(w.control.Close)

	bin := buildStaas(t)
	base := map[string]string{
		"STAAS_LISTEN_ADDR":             "127.0.0.1:0",
		"STAAS_LOG_FORMAT":              "json",
		"STAAS_LOG_LEVEL":               "debug",
		"STAAS_OSTOR_ENDPOINT":          gw.URL,
		"STAAS_OSTOR_ACCESS_KEY":        creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":        creds.SecretKey,
		"STAAS_OSTOR_TIMEOUT":           "2s",
		"STAAS_SHIM_SECRET":             w.secret,
		"STAAS_STORE_DRIVER":            "sqlite",
		"STAAS_WHMCS_MODE":              "api",
		"STAAS_WHMCS_API_URL":           whmcs.URL + "/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER":    "staas-phpunit",
		"STAAS_WHMCS_API_SECRET":        apiSecret,
		"STAAS_WHMCS_TIMEOUT":           "2s",
		"STAAS_USAGE_INTERVAL":          "1h",
		"STAAS_STORAGE_SAMPLE_INTERVAL": "1s",
	}
	withEnv := func(extra map[string]string) map[string]string {
		out := map[string]string{"STAAS_STORE_DSN": filepath.Join(t.TempDir(), "staas.db")}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	w.a = startServe(t, bin, withEnv(map[string]string{"STAAS_CREATE_ON_CLIENT_ADD": "false", "STAAS_CLIENT_DELETE": "disable"}))
	w.b = startServe(t, bin, withEnv(map[string]string{"STAAS_CREATE_ON_CLIENT_ADD": "true", "STAAS_CLIENT_DELETE": "delete"}))
	return w
}

// JUnit as PHPUnit writes it: suites nest (a class, a data provider).
type junitSuite struct {
	Name   string       `xml:"name,attr"`
	Suites []junitSuite `xml:"testsuite"`
	Cases  []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Name       string        `xml:"name,attr"`
	Time       float64       `xml:"time,attr"`
	Class      string        `xml:"class,attr"`
	ClassName  string        `xml:"classname,attr"`
	Failures   []junitResult `xml:"failure"`
	Errors     []junitResult `xml:"error"`
	Warnings   []junitResult `xml:"warning"`
	Skipped    *junitResult  `xml:"skipped"`
	Incomplete *junitResult  `xml:"incomplete"`
	Risky      []junitResult `xml:"risky"`
	SystemOut  string        `xml:"system-out"`
}

type junitResult struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type junitDoc struct {
	Suites []junitSuite `xml:"testsuite"`
}

func (s junitSuite) cases() []junitCase {
	out := append([]junitCase(nil), s.Cases...)
	for _, sub := range s.Suites {
		out = append(out, sub.cases()...)
	}
	return out
}

// TestPHPUnit runs php-shim/tests against real staas servers and reports
// every PHPUnit test case as a subtest.
func TestPHPUnit(t *testing.T) {
	php := requireTool(t, "php")
	phpunit := requireTool(t, "phpunit")
	requirePHPCurl(t, php)
	w := servers(t)

	junit := filepath.Join(t.TempDir(), "junit.xml")
	cmd := exec.Command(phpunit, "--configuration", "tests/phpunit.xml", "--log-junit", junit)
	cmd.Env = append(os.Environ(),
		"STAAS_URL="+w.a.URL,
		"STAAS_URL_B="+w.b.URL,
		"STAAS_SHIM_SECRET="+w.secret,
		"STAAS_CONTROL_URL="+w.control.URL,
		"STAAS_DOWN_URL="+w.down,
		"STAAS_FAKE_URL="+w.fake.URL,
		"STAAS_FIXTURES="+filepath.Join(repoRoot(t), "whmcsbridge", "testdata", "shim"),
	)
	out, runErr := cmd.CombinedOutput()
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("phpunit wrote no JUnit log (%v); its output:\n%s", err, out)
	}
	var doc junitDoc
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("phpunit's JUnit log: %v", err)
	}
	var cases []junitCase
	for _, s := range doc.Suites {
		cases = append(cases, s.cases()...)
	}
	if len(cases) == 0 {
		t.Fatalf("phpunit ran no tests:\n%s", out)
	}
	failed := false
	for _, c := range cases {
		class := c.Class
		if class == "" {
			class = c.ClassName
		}
		ok := t.Run(class+"::"+c.Name, func(t *testing.T) {
			if c.Time > 3 {
				t.Logf("slow: %.1fs in PHP", c.Time)
			}
			for _, f := range append(append(c.Failures, c.Errors...), c.Warnings...) {
				t.Errorf("%s\n%s", f.Type, strings.TrimSpace(f.Text))
			}
			for _, f := range c.Risky {
				t.Errorf("risky: %s", strings.TrimSpace(f.Text))
			}
			// A skipped or incomplete PHP test is a failure here: the
			// suite must never pass by not running.
			if c.Skipped != nil {
				t.Errorf("skipped: %s", strings.TrimSpace(c.Skipped.Text))
			}
			if c.Incomplete != nil {
				t.Errorf("incomplete: %s", strings.TrimSpace(c.Incomplete.Text))
			}
		})
		failed = failed || !ok
	}
	if runErr != nil && !failed {
		t.Errorf("phpunit failed although every test case passed (%v):\n%s", runErr, out)
	}
	if t.Failed() {
		t.Logf("phpunit output:\n%s", out)
		t.Logf("staas A stderr (tail):\n%s", tail(w.a.stderr.String(), 6000))
		t.Logf("staas B stderr (tail):\n%s", tail(w.b.stderr.String(), 3000))
	}
	for _, p := range []*staasProcess{w.a, w.b} {
		if strings.Contains(p.stderr.String(), w.secret) {
			t.Errorf("the shared secret reached staas's log")
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestPHPLint runs `php -l` on every PHP file of the shim.
func TestPHPLint(t *testing.T) {
	php := requireTool(t, "php")
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".php") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d PHP files under php-shim: %v", len(files), files)
	}
	for _, f := range files {
		out, err := exec.Command(php, "-d", "display_errors=1", "-l", f).CombinedOutput()
		if err != nil {
			t.Errorf("php -l %s: %v\n%s", f, err, out)
		}
	}
}

// TestPHPCodeSniffer runs phpcs with the shim's ruleset (phpcs.xml:
// PSR-12 and stricter; docs/decisions.md says why phpcs and not
// phpstan). A warning fails the test as an error does.
func TestPHPCodeSniffer(t *testing.T) {
	phpcs := requireTool(t, "phpcs")
	cmd := exec.Command(phpcs, "--standard=phpcs.xml", "--report=full", "-q")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("phpcs --standard=php-shim/phpcs.xml: %v\n%s", err, out)
	}
}

// TestStrictTypes: every PHP file declares strict types, and the files
// WHMCS loads refuse to run outside it.
func TestStrictTypes(t *testing.T) {
	entry := map[string]bool{
		"modules/servers/staas/staas.php":          true,
		"modules/servers/staas/config.example.php": true,
		"modules/addons/staas/staas.php":           true,
		"includes/hooks/staas.php":                 true,
	}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".php") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		if !strings.Contains(src, "declare(strict_types=1);") {
			t.Errorf("%s lacks declare(strict_types=1)", path)
		}
		if entry[filepath.ToSlash(path)] && !strings.Contains(src, "if (!defined('WHMCS')) {") {
			t.Errorf("%s lacks the defined('WHMCS') guard", path)
		}
		delete(entry, filepath.ToSlash(path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for f := range entry {
		t.Errorf("%s is missing", f)
	}
}

// TestOneClassOwnsTblhosting: WHMCS's database is reached through
// HostingTable only (tblhosting's reads and writes), so a reader finds
// every write the shim makes into WHMCS in one file.
func TestOneClassOwnsTblhosting(t *testing.T) {
	db := regexp.MustCompile(`Capsule|'tblhosting'|update_query|full_query|select_query|insert_query|UpdateClientProduct`)
	owners := 0
	err := filepath.WalkDir("modules", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".php") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if filepath.Base(path) == "HostingTable.php" {
			owners++
			return nil
		}
		if m := db.FindString(string(b)); m != "" {
			t.Errorf("%s reaches WHMCS's database (%s): that is HostingTable's job", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if owners != 1 {
		t.Errorf("found %d HostingTable.php, want 1", owners)
	}
}

// readAll reads a small request body.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 1<<20)) }
