package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"staas/internal/ostor"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// syncBuffer lets a test read what a running subcommand has written so far.
type syncBuffer = testworld.LogBuffer

// start runs a subcommand in the background and returns the URL it prints,
// a function that stops it and returns its error, and its stderr.
func start(t *testing.T, args []string, env map[string]string) (string, func() error, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	go func() { done <- run(ctx, args, lookup, stdout, stderr) }()

	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	// A wait for readiness, not a timing check: the demo seeds three
	// clusters and two resellers (bcrypt) before it prints its URL, and
	// the test command runs packages side by side on two cores.
	deadline := time.Now().Add(45 * time.Second)
	for {
		if u := urlRE.FindString(stdout.String()); u != "" {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(10 * time.Second):
					t.Fatal("subcommand did not stop within 10s of its context ending")
					return nil
				}
			}
			t.Cleanup(func() { cancel() })
			return u, stop, stderr
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("%v exited early: %v\nstderr: %s", args, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%v printed no URL; stdout %q", args, stdout.String())
		}
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestServe(t *testing.T) {
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	gw := httptest.NewServer(sim)
	defer gw.Close()
	creds := sim.SystemCredentials()

	env := map[string]string{
		"STAAS_LISTEN_ADDR":          "127.0.0.1:0",
		"STAAS_LOG_FORMAT":           "json",
		"STAAS_OSTOR_ENDPOINT":       gw.URL,
		"STAAS_OSTOR_ACCESS_KEY":     creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":     creds.SecretKey,
		"STAAS_OSTOR_TIMEOUT":        "2s",
		"STAAS_SHIM_SECRET":          "test-shim-secret-0123456789abcdef0123",
		"STAAS_STORE_DSN":            filepath.Join(t.TempDir(), "staas.db"),
		"STAAS_WHMCS_MODE":           "api",
		"STAAS_WHMCS_API_URL":        "http://127.0.0.1:1/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER": "id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-secret",
		// Each /readyz below must check the gateway afresh.
		"STAAS_READY_CACHE": "0s",
	}
	base, stop, stderr := start(t, []string{"serve"}, env)

	if code, body := getJSON(t, base+"/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("/healthz = %d %v", code, body)
	}
	if code, body := getJSON(t, base+"/readyz"); code != 200 || body["checks"].(map[string]any)["ostor"] != "ok" {
		t.Errorf("/readyz with the gateway up = %d %v", code, body)
	}

	// Every answer an error: /readyz must say the gateway (the storage
	// cluster) is the problem.
	sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	code, body := getJSON(t, base+"/readyz")
	if msg, _ := body["checks"].(map[string]any)["ostor"].(string); code != 503 || !strings.Contains(msg, "storage cluster") {
		t.Errorf("/readyz with the gateway failing = %d %v", code, body)
	}
	sim.SetFaults(ostorsim.Faults{})

	// /metrics counts served requests by route and gateway calls by result,
	// retries included: the failing /readyz made 1+3 attempts.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scrape, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`staas_http_requests_total{method="GET",route="/readyz",status="200"} 1`,
		`staas_http_requests_total{method="GET",route="/readyz",status="503"} 1`,
		`staas_ostor_calls_total{op="ping",result="ok"} 1`,
		`staas_ostor_calls_total{op="ping",result="unavailable"} 1`,
		`staas_ostor_retries_total{op="ping"} 3`,
	} {
		if !strings.Contains(string(scrape), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown returned %v", err)
	}
	logs := stderr.String()
	if strings.Contains(logs, creds.SecretKey) {
		t.Fatalf("the gateway secret reached the logs:\n%s", logs)
	}
	for _, want := range []string{`"msg":"staas serving"`, `"msg":"request"`, `"path":"/readyz"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServe_BadConfigNamesTheVariable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"STAAS_OSTOR_ENDPOINT": "ftp://x", "STAAS_OSTOR_SIGNATURE": "v5"}
	err := run(context.Background(), []string{"serve"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &stdout, &stderr)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, want := range []string{"STAAS_OSTOR_ENDPOINT", "STAAS_OSTOR_SIGNATURE", "STAAS_OSTOR_ACCESS_KEY is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// The standalone simulator prints keys that a client can sign with, and
// -demo gives every listing rows.
func TestSim(t *testing.T) {
	base, stop, _ := start(t, []string{"sim", "-addr", "127.0.0.1:0", "-demo",
		"-access-key", "a14040e0b2ef8b28FZZ8", "-secret-key", "dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA"}, nil)
	c, err := ostor.New(ostor.Config{Endpoint: base, AccessKey: "a14040e0b2ef8b28FZZ8", SecretKey: "dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users, err := c.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) < 4 { // the system user and the demo customers
		t.Errorf("seeded simulator lists %d users, want at least 4", len(users))
	}
	buckets, err := c.Buckets(ctx)
	if err != nil || len(buckets) == 0 {
		t.Errorf("seeded simulator lists buckets %v, err %v", buckets, err)
	}
	page, err := c.UsagePage(ctx, "", 1000)
	if err != nil || len(page.Items) == 0 {
		t.Errorf("seeded simulator lists usage objects %+v, err %v", page, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("sim stopped with %v", err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "staas ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, nil, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "Usage:") {
		t.Errorf("unknown command: err %v, stderr %q", err, errOut.String())
	}
}
