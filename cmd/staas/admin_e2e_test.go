package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"staas"
	"staas/internal/ostor"
	"staas/internal/whmcs"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

// TestServe_AdminActionThroughShim runs the real binary's serve in API mode
// against the WHMCS stand-in's API: a signed Create User from the shim
// creates the S3 user on the gateway and the guide's note in WHMCS.
func TestServe_AdminActionThroughShim(t *testing.T) {
	ctx := context.Background()
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	gw := httptest.NewServer(sim)
	defer gw.Close()
	creds := sim.SystemCredentials()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "whmcs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := whmcssim.CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := whmcssim.SeedClients(ctx, db, []staas.Client{{ID: 12, FirstName: "Erin", Email: "erin@example.com", Status: "Active"}}); err != nil {
		t.Fatal(err)
	}
	api := whmcssim.NewAPI(db, whmcssim.Credentials{Identifier: "staas-id", Secret: "whmcs-api-secret-value"})
	whmcsSrv := httptest.NewServer(api)
	defer whmcsSrv.Close()

	const shimSecret = "e2e-shim-secret-0123456789abcdef0123"
	env := map[string]string{
		"STAAS_LISTEN_ADDR":          "127.0.0.1:0",
		"STAAS_LOG_FORMAT":           "json",
		"STAAS_OSTOR_ENDPOINT":       gw.URL,
		"STAAS_OSTOR_ACCESS_KEY":     creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":     creds.SecretKey,
		"STAAS_SHIM_SECRET":          shimSecret,
		"STAAS_STORE_DSN":            filepath.Join(t.TempDir(), "staas.db"),
		"STAAS_WHMCS_MODE":           "api",
		"STAAS_WHMCS_API_URL":        whmcsSrv.URL + "/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER": "staas-id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-api-secret-value",
	}
	base, stop, stderr := start(t, []string{"serve"}, env)

	body, _ := json.Marshal(whmcsbridge.ActionRequest{
		Admin:    staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}},
		ClientID: 12,
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/shim/v1/admin/actions/create-user", bytes.NewReader(body))
	if err := whmcsbridge.SignRequest(req, []byte(shimSecret), time.Now(), body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res whmcsbridge.Result
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || res.Result != "success" {
		t.Fatalf("create-user = %d %+v\n%s", resp.StatusCode, res, stderr.String())
	}

	u, err := ostorClient(t, gw.URL, creds).User(ctx, ostor.ByEmail("erin@example.com"))
	if err != nil {
		t.Fatalf("no S3 user on the gateway: %v", err)
	}
	var note string
	if err := db.QueryRowContext(ctx, `SELECT note FROM tblnotes WHERE userid = ?`, 12).Scan(&note); err != nil {
		t.Fatalf("no note in WHMCS: %v", err)
	}
	// serve's default keeps the secret out of the note, which any admin
	// who may read the client's notes could read (STAAS_NOTES_WITH_SECRET).
	want := "UserId: " + u.ID + "\nAWSAccessKeyId: " + u.Keys[0].AccessKeyID + "\nAWSSecretAccessKey: " + whmcs.NoteSecretWithheld
	if note != want || strings.Contains(note, u.Keys[0].SecretAccessKey) {
		t.Errorf("note = %q, want %q", note, want)
	}

	// The same request again is a replay.
	replay, _ := http.NewRequest(http.MethodPost, base+"/shim/v1/admin/actions/create-user", bytes.NewReader(body))
	replay.Header = req.Header.Clone()
	if resp, err := http.DefaultClient.Do(replay); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replay = %v, %v", resp.StatusCode, err)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{creds.SecretKey, shimSecret, "whmcs-api-secret-value", u.Keys[0].SecretAccessKey} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("a secret reached the logs: %q", secret)
		}
	}
}

func ostorClient(t *testing.T, endpoint string, creds ostorsim.Credentials) *ostor.Client {
	t.Helper()
	c, err := ostor.New(ostor.Config{Endpoint: endpoint, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMigrate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"STAAS_STORE_DSN": filepath.Join(t.TempDir(), "staas.db")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for range 2 {
		stdout.Reset()
		if err := run(context.Background(), []string{"migrate"}, lookup, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`store \(sqlite\) is at schema version [1-9][0-9]*\n`).MatchString(stdout.String()) {
			t.Errorf("migrate said %q", stdout.String())
		}
	}
	env["STAAS_STORE_DRIVER"] = "oracle"
	if err := run(context.Background(), []string{"migrate"}, lookup, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "STAAS_STORE_DRIVER") {
		t.Errorf("a bad driver: %v", err)
	}
}

// TestServe_ReturnsWhenTheAddressIsTaken: a failure after the background
// jobs started must end serve with the error, not leave it waiting for
// jobs that only stop when the process is told to.
func TestServe_ReturnsWhenTheAddressIsTaken(t *testing.T) {
	taken := httptest.NewServer(http.NotFoundHandler())
	defer taken.Close()
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	gw := httptest.NewServer(sim)
	defer gw.Close()
	creds := sim.SystemCredentials()
	env := map[string]string{
		"STAAS_LISTEN_ADDR":      strings.TrimPrefix(taken.URL, "http://"),
		"STAAS_OSTOR_ENDPOINT":   gw.URL,
		"STAAS_OSTOR_ACCESS_KEY": creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY": creds.SecretKey,
		"STAAS_SHIM_SECRET":      "e2e-shim-secret-0123456789abcdef0123",
		"STAAS_STORE_DSN":        filepath.Join(t.TempDir(), "staas.db"),
		"STAAS_WHMCS_MODE":       "mysql",
		"STAAS_WHMCS_DB_DSN":     "whmcs:pw@tcp(127.0.0.1:1)/whmcs",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), []string{"serve"}, lookup, io.Discard, io.Discard) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "STAAS_LISTEN_ADDR") {
			t.Errorf("serve on a taken address = %v, want an error naming STAAS_LISTEN_ADDR", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve hangs after failing to listen")
	}
}
