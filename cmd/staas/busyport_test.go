package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

// busyPort holds a port for the test's duration, as another program would.
func busyPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// A demo started on a port another program holds fails at once with that
// one error, telling the admin how to pick another address: it starts
// nothing first (no database in its folder), so no warning about a
// database stopped under it comes before the real error.
func TestDemo_BusyPortFailsFirst(t *testing.T) {
	addr := busyPort(t)
	dir := t.TempDir()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"demo", "-addr", addr, "-dir", dir}, nil, &stdout, &stderr)
	if err == nil {
		t.Fatalf("the demo started on a busy port; stdout %q", stdout.String())
	}
	for _, want := range []string{addr, "already in use", "-addr", "make demo ADDR="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if logs := stderr.String(); logs != "" {
		t.Errorf("the demo logged before its real error:\n%s", logs)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the demo created %v in its folder before finding its port busy", entries)
	}
}

// serve on a busy STAAS_LISTEN_ADDR fails naming the variable, before it
// creates or migrates its store and before any job reaches the gateway.
func TestServe_BusyPortFailsFirst(t *testing.T) {
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	var calls atomic.Int64
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		sim.ServeHTTP(w, r)
	}))
	defer gw.Close()
	creds := sim.SystemCredentials()
	dsn := filepath.Join(t.TempDir(), "staas.db")
	env := map[string]string{
		"STAAS_LISTEN_ADDR":          busyPort(t),
		"STAAS_OSTOR_ENDPOINT":       gw.URL,
		"STAAS_OSTOR_ACCESS_KEY":     creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":     creds.SecretKey,
		"STAAS_SHIM_SECRET":          "test-shim-secret-0123456789abcdef0123",
		"STAAS_STORE_DSN":            dsn,
		"STAAS_WHMCS_MODE":           "api",
		"STAAS_WHMCS_API_URL":        "http://127.0.0.1:1/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER": "id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-secret",
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "STAAS_LISTEN_ADDR") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve on a busy port returned %v", err)
	}
	if _, statErr := os.Stat(dsn); !os.IsNotExist(statErr) {
		t.Errorf("serve created its store before finding its port busy (stat: %v)", statErr)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("serve made %d gateway call(s) before finding its port busy", n)
	}
	if logs := stderr.String(); logs != "" {
		t.Errorf("serve logged before its real error:\n%s", logs)
	}
}

// The demo seeds fresh databases: given a -dir that holds a previous run's,
// it says so at once, instead of failing on a duplicate client halfway
// through seeding.
func TestDemo_UsedDirSaysSo(t *testing.T) {
	dir := t.TempDir()
	_, stop, _ := start(t, []string{"demo", "-addr", "127.0.0.1:0", "-dir", dir}, nil)
	if err := stop(); err != nil {
		t.Fatalf("the first demo stopped with %v", err)
	}
	before, _ := os.ReadDir(dir)

	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-dir", dir}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "already holds a demo's databases") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("demo on a used folder returned %v; stdout %q", err, stdout.String())
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("the second demo changed the folder: %v, then %v", before, after)
	}
}
