package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

var testResellerKey = strings.Repeat("ab", 64)

// With STAAS_RESELLER_SESSION_KEY, serve in mysql mode serves the
// portal's login page; in api mode it refuses to start, saying why.
func TestServe_ResellerPortal(t *testing.T) {
	env := serveEnv(t, map[string]string{"STAAS_RESELLER_SESSION_KEY": testResellerKey})
	err := run(context.Background(), []string{"serve"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "STAAS_WHMCS_MODE=mysql") {
		t.Fatalf("serve in api mode with a reseller key: %v", err)
	}

	base, stop, _ := start(t, []string{"serve"}, serveEnv(t, map[string]string{
		"STAAS_RESELLER_SESSION_KEY": testResellerKey,
		"STAAS_WHMCS_MODE":           "mysql",
		"STAAS_WHMCS_DB_DSN":         "whmcs:pw@tcp(127.0.0.1:1)/whmcs",
	}))
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Get(base + "/reseller/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="csrf"`) {
		t.Fatalf("/reseller/login: %d\n%s", resp.StatusCode, body)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Fatalf("cookie %q", c)
	}
}
