package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"staas"
	"staas/internal/store"
	"staas/standin/whmcssim"
)

var testResellerKey = strings.Repeat("ab", 64)

// With STAAS_RESELLER_SESSION_KEY, serve in mysql mode serves the
// portal's login page with its cookie's flags.
func TestServe_ResellerPortal(t *testing.T) {
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

// portalUser is a browser of the portal over plain HTTP: it keeps the
// session cookie by hand, since a cookie jar sends a Secure cookie only
// over HTTPS.
type portalUser struct {
	t       *testing.T
	base    string
	cookies map[string]*http.Cookie
}

func (u *portalUser) do(method, path string, form url.Values) (int, string) {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range u.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		u.cookies[c.Name] = c
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// serve in api mode with the portal: a reseller of client group 3 logs
// in and sees its client's name and plan as WHMCS's API gives them, and
// not the client of group 4; a client moved out of the group is gone at
// the next refresh; with WHMCS's API down the summary says so.
func TestServe_ResellerPortalAPIMode(t *testing.T) {
	ctx := context.Background()
	wdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "whmcs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(whmcssim.CreateSchema(ctx, wdb))
	must(whmcssim.SeedClients(ctx, wdb, []staas.Client{
		{ID: 12, FirstName: "Erin", LastName: "Ek", CompanyName: "Erin Storage AB", Email: "erin@example.com"},
		{ID: 13, FirstName: "Finn", LastName: "Fox", CompanyName: "Finn Fabrics", Email: "finn@example.com"},
	}))
	must(whmcssim.SetClientGroup(ctx, wdb, 12, 3))
	must(whmcssim.SetClientGroup(ctx, wdb, 13, 4))
	must(whmcssim.SetService(ctx, wdb, 40, 12, "Active"))
	must(whmcssim.SetService(ctx, wdb, 41, 13, "Active"))
	must(whmcssim.SetProductQuota(ctx, wdb, 5, 40, "100"))
	must(whmcssim.SetProductName(ctx, wdb, 5, "S3 Gold"))
	api := whmcssim.NewAPI(wdb, whmcssim.Credentials{Identifier: "staas-id", Secret: "whmcs-api-secret-value"})
	whmcsSrv := httptest.NewServer(api)
	defer whmcsSrv.Close()

	env := serveEnv(t, map[string]string{
		"STAAS_RESELLER_SESSION_KEY": testResellerKey,
		// Every page reads the client list again, so the test need not
		// wait out the minute.
		"STAAS_RESELLER_CACHE_TTL":   "1ms",
		"STAAS_WHMCS_API_URL":        whmcsSrv.URL + whmcssim.APIPath,
		"STAAS_WHMCS_API_IDENTIFIER": "staas-id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-api-secret-value",
	})
	st, err := store.Open(ctx, "sqlite", env["STAAS_STORE_DSN"])
	must(err)
	const password = "reseller password 1"
	_, err = st.AddReseller(ctx, store.Reseller{Name: "Acme Hosting", Email: "ops@acme.example", State: store.ResellerActive,
		Source: store.ResellerSource{Kind: store.SourceGroup, Value: "3"}}, password)
	must(err)
	must(st.SaveS3User(ctx, staas.S3User{ClientID: 12, ServiceID: 40, Cluster: "default", UserID: "aa01", Email: "erin@example.com"}))
	must(st.SaveS3User(ctx, staas.S3User{ClientID: 13, ServiceID: 41, Cluster: "default", UserID: "aa02", Email: "finn@example.com"}))
	must(st.Close())

	base, stop, stderr := start(t, []string{"serve"}, env)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
		if strings.Contains(stderr.String(), "whmcs-api-secret-value") || strings.Contains(stderr.String(), password) {
			t.Error("a secret reached the log")
		}
	}()

	u := &portalUser{t: t, base: base, cookies: map[string]*http.Cookie{}}
	code, page := u.do("GET", "/reseller/login", nil)
	m := csrfField.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("/reseller/login: %d\n%s", code, page)
	}
	if code, page = u.do("POST", "/reseller/login", url.Values{"csrf": {m[1]}, "email": {"ops@acme.example"}, "password": {password}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", code, page)
	}
	code, page = u.do("GET", "/reseller/", nil)
	if code != http.StatusOK || !strings.Contains(page, "Erin Storage AB") || !strings.Contains(page, "S3 Gold") {
		t.Fatalf("summary: %d, want client 12's name and plan\n%s", code, page)
	}
	// One client scan gave the members and the names; one call the plan.
	if g, p, d := api.CountRequests("GetClients"), api.CountRequests("GetClientsProducts"), api.CountRequests("GetClientsDetails"); g != 1 || p != 1 || d != 0 {
		t.Fatalf("the summary cost %d GetClients, %d GetClientsProducts, %d GetClientsDetails; want 1, 1, 0", g, p, d)
	}
	if strings.Contains(page, "Finn") || strings.Contains(page, "/reseller/clients/13") || strings.Contains(page, "WHMCS unreachable") {
		t.Fatalf("summary shows another group's client or a warning:\n%s", page)
	}
	if code, _ := u.do("GET", "/reseller/clients/13", nil); code != http.StatusNotFound {
		t.Fatalf("another reseller's client: %d, want 404", code)
	}
	if code, page := u.do("GET", "/reseller/clients/12", nil); code != http.StatusOK || !strings.Contains(page, "Erin Storage AB") {
		t.Fatalf("own client: %d\n%s", code, page)
	}

	// Client 12 leaves group 3 in WHMCS: gone at the next refresh.
	must(whmcssim.SetClientGroup(ctx, wdb, 12, 0))
	code, page = u.do("GET", "/reseller/", nil)
	if code != http.StatusOK || strings.Contains(page, "Erin") || strings.Contains(page, "/reseller/clients/12") {
		t.Fatalf("summary after client 12 left the group: %d\n%s", code, page)
	}
	if code, _ := u.do("GET", "/reseller/clients/12", nil); code != http.StatusNotFound {
		t.Fatalf("client 12 after it left the group: %d, want 404", code)
	}

	// WHMCS's API down: the summary says so, and a client page answers
	// nothing from the old list.
	must(whmcssim.SetClientGroup(ctx, wdb, 12, 3))
	api.SetDown(true)
	code, page = u.do("GET", "/reseller/", nil)
	if code != http.StatusOK || !strings.Contains(page, "WHMCS unreachable") {
		t.Fatalf("summary with WHMCS down: %d\n%s", code, page)
	}
	if strings.Contains(page, "Erin") {
		t.Fatalf("summary with WHMCS down shows a client it could not read:\n%s", page)
	}
	if code, page := u.do("GET", "/reseller/clients/12", nil); code != http.StatusServiceUnavailable || !strings.Contains(page, "WHMCS unreachable") {
		t.Fatalf("client page with WHMCS down: %d\n%s", code, page)
	}
}
