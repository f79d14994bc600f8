package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"staas"
	"staas/internal/store"
	"staas/standin/ostorsim"
)

// staas cluster add, list, test and remove, on the store serve uses; and
// serve with a second registered cluster reports both on /readyz.
func TestClusterCommand(t *testing.T) {
	ctx := context.Background()
	def := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	defSrv := httptest.NewServer(def)
	defer defSrv.Close()
	eu := ostorsim.MustNew(ostorsim.Options{WallClock: true, Seed: 2})
	euSrv := httptest.NewServer(eu)
	defer euSrv.Close()

	dir := t.TempDir()
	euCreds := eu.SystemCredentials()
	credFile := filepath.Join(dir, "eu-2.creds")
	if err := os.WriteFile(credFile, []byte("access_key = "+euCreds.AccessKey+"\nsecret_key = "+euCreds.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(dir, "staas.db")
	env := map[string]string{"STAAS_STORE_DSN": dsn}
	staasCmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"cluster"}, args...), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errOut)
		return out.String() + errOut.String(), err
	}

	if out, err := staasCmd("add", "-name", "eu-2", "-admin-endpoint", euSrv.URL, "-credentials", "file:"+credFile); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if out, err := staasCmd("add", "-name", "eu-3", "-admin-endpoint", euSrv.URL, "-credentials", euCreds.SecretKey); err == nil {
		t.Fatalf("a secret was taken as credentials:\n%s", out)
	}
	out, err := staasCmd("list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "eu-2") || !strings.Contains(out, "file:"+credFile) || strings.Contains(out, euCreds.SecretKey) || strings.Contains(out, "eu-3") {
		t.Fatalf("list:\n%s", out)
	}
	if out, err := staasCmd("test", "eu-2"); err != nil || !strings.Contains(out, "answers") {
		t.Fatalf("test: %v\n%s", err, out)
	}
	eu.SetFaults(ostorsim.Faults{ErrorRate: 1})
	if out, err := staasCmd("test", "eu-2"); err == nil || strings.Contains(err.Error(), euCreds.SecretKey) {
		t.Fatalf("test of a failing cluster: %v\n%s", err, out)
	}
	eu.SetFaults(ostorsim.Faults{})

	// serve seeds "default" from STAAS_OSTOR_* next to eu-2 and probes both.
	defCreds := def.SystemCredentials()
	serveEnv := map[string]string{
		"STAAS_LISTEN_ADDR":          "127.0.0.1:0",
		"STAAS_OSTOR_ENDPOINT":       defSrv.URL,
		"STAAS_OSTOR_ACCESS_KEY":     defCreds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":     defCreds.SecretKey,
		"STAAS_OSTOR_TIMEOUT":        "2s",
		"STAAS_SHIM_SECRET":          "test-shim-secret-0123456789abcdef0123",
		"STAAS_STORE_DSN":            dsn,
		"STAAS_WHMCS_MODE":           "api",
		"STAAS_WHMCS_API_URL":        "http://127.0.0.1:1/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER": "id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-secret",
		"STAAS_READY_CACHE":          "0s",
	}
	base, stop, _ := start(t, []string{"serve"}, serveEnv)
	code, body := getJSON(t, base+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || checks["ostor"] != "ok" || checks["ostor:eu-2"] != "ok" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
	// One cluster down: reported, and staas stays ready for the other.
	eu.SetFaults(ostorsim.Faults{DropRate: 1})
	code, body = getJSON(t, base+"/readyz")
	checks, _ = body["checks"].(map[string]any)
	if code != 200 || checks["ostor"] != "ok" || checks["ostor:eu-2"] == "ok" {
		t.Fatalf("/readyz with eu-2 down = %d %v", code, body)
	}
	eu.SetFaults(ostorsim.Faults{})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out, err = staasCmd("list")
	if err != nil || !strings.Contains(out, "default") || !strings.Contains(out, "env:STAAS_OSTOR") || strings.Contains(out, defCreds.SecretKey) {
		t.Fatalf("list after serve seeded default: %v\n%s", err, out)
	}

	// Remove: refused while a mapping uses the cluster.
	st, err := store.Open(ctx, "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 5, Cluster: "eu-2", UserID: "0123456789abcdef", Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	if out, err := staasCmd("remove", "eu-2"); err == nil || !strings.Contains(err.Error(), "mapped S3 user") {
		t.Fatalf("remove of a cluster in use: %v\n%s", err, out)
	}
	if err := st.DeleteS3User(ctx, 1, 5); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if out, err := staasCmd("remove", "eu-2"); err != nil {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if out, _ := staasCmd("list"); strings.Contains(out, "eu-2") {
		t.Fatalf("list after remove:\n%s", out)
	}
}
