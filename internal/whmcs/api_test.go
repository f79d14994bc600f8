package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas"
	"staas/standin/whmcssim"
)

const (
	testIdentifier = "staas-api-ident"
	testAPISecret  = "API-SECRET-never-shown-0123"
	testAccessKey  = "ACCESS-KEY-never-shown!@#"
)

var testClients = []staas.Client{
	{ID: 1, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines"},
	{ID: 2, Email: "alan@example.com", FirstName: "Alan", LastName: "Turing", Status: "Inactive"},
	{ID: 7, Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"},
}

// whmcsDB is a stand-in WHMCS database on SQLite with testClients.
func whmcsDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := whmcssim.OpenSQLite(filepath.Join(t.TempDir(), "whmcs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	seedWHMCS(t, db)
	return db
}

func seedWHMCS(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	if err := whmcssim.CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := whmcssim.SeedClients(ctx, db, testClients); err != nil {
		t.Fatal(err)
	}
}

type simEnv struct {
	db     *sql.DB
	sim    *whmcssim.API
	srv    *httptest.Server
	client *APIClient
}

// newSimEnv starts the stand-in's API on 127.0.0.1 and a client of it;
// wrap, when given, sits in front of the stand-in (faults, recording).
func newSimEnv(t *testing.T, wrap func(http.Handler) http.Handler) *simEnv {
	t.Helper()
	db := whmcsDB(t)
	sim := whmcssim.NewAPI(db, whmcssim.Credentials{Identifier: testIdentifier, Secret: testAPISecret, AccessKey: testAccessKey})
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &simEnv{db: db, sim: sim, srv: srv, client: testAPIClient(t, srv.URL+whmcssim.APIPath, nil)}
}

func testAPIClient(t *testing.T, u string, mod func(*APIConfig)) *APIClient {
	t.Helper()
	cfg := APIConfig{URL: u, Identifier: testIdentifier, Secret: testAPISecret, AccessKey: testAccessKey, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewAPIClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax = time.Millisecond, 4*time.Millisecond
	return c
}

// noSecrets fails if err, in any rendering, shows a credential.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func wantMessage(t *testing.T, err error, substr string) {
	t.Helper()
	if !strings.Contains(staas.ErrorMessage(err), substr) {
		t.Fatalf("message %q does not contain %q", staas.ErrorMessage(err), substr)
	}
}

func noSecrets(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error(), staas.ErrorMessage(err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error())
	}
	for _, s := range texts {
		for _, secret := range append([]string{testAPISecret, testAccessKey, url.QueryEscape(testAccessKey)}, extra...) {
			if strings.Contains(s, secret) {
				t.Fatalf("a secret shows in the error: %s", s)
			}
		}
	}
}

func TestAPIClientDetails(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	c, err := env.client.Client(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := staas.Client{ID: 1, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines", Status: "Active"}
	if *c != want {
		t.Errorf("got %+v, want %+v", *c, want)
	}
	if c, err := env.client.Client(ctx, 2); err != nil || c.Status != "Inactive" {
		t.Errorf("client 2: %+v, %v", c, err)
	}
	_, err = env.client.Client(ctx, 99)
	wantCode(t, err, staas.ENOTFOUND)
	wantAPIDetail(t, err, "Client Not Found")
	if n := env.sim.CountRequests("GetClientsDetails"); n != 3 {
		t.Errorf("%d requests: a not-found answer must not be retried", n)
	}
}

func TestAPIClientAddNote(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	note := "Grüße ✓ — a note with\nlines, & = + % characters"
	id, err := env.client.AddClientNote(ctx, 7, note)
	if err != nil {
		t.Fatal(err)
	}
	if id != 1 {
		t.Errorf("noteid %d", id)
	}
	var stored string
	var userid int64
	if err := env.db.QueryRow(`SELECT userid, note FROM tblnotes WHERE id = ?`, id).Scan(&userid, &stored); err != nil {
		t.Fatal(err)
	}
	if stored != note || userid != 7 {
		t.Errorf("stored %d %q", userid, stored)
	}
	_, err = env.client.AddClientNote(ctx, 99, "x")
	wantCode(t, err, staas.ENOTFOUND)
	wantAPIDetail(t, err, "Client ID not found")
}

func TestAPIClientBadInputSendsNothing(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	c := env.client
	for name, call := range map[string]func() error{
		"client id 0":      func() error { _, err := c.Client(ctx, 0); return err },
		"client id -1":     func() error { _, err := c.Client(ctx, -1); return err },
		"note client 0":    func() error { _, err := c.AddClientNote(ctx, 0, "x"); return err },
		"empty note":       func() error { _, err := c.AddClientNote(ctx, 1, ""); return err },
		"blank note":       func() error { _, err := c.AddClientNote(ctx, 1, " \n\t"); return err },
		"huge note":        func() error { _, err := c.AddClientNote(ctx, 1, strings.Repeat("x", 65536)); return err },
		"invalid UTF-8":    func() error { _, err := c.AddClientNote(ctx, 1, "\xff"); return err },
		"products of 0":    func() error { _, err := c.ClientsProducts(ctx, 0); return err },
		"negative offset":  func() error { _, _, err := c.Clients(ctx, "", -1, 10); return err },
		"zero limit":       func() error { _, _, err := c.Clients(ctx, "", 0, 0); return err },
		"huge limit":       func() error { _, _, err := c.Clients(ctx, "", 0, 100000); return err },
		"control in query": func() error { _, _, err := c.Clients(ctx, "a\x00b", 0, 10); return err },
		"long search":      func() error { _, _, err := c.Clients(ctx, strings.Repeat("a", 256), 0, 10); return err },
	} {
		if err := call(); staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if r := env.sim.Requests(); len(r) != 0 {
		t.Errorf("bad input reached WHMCS: %+v", r)
	}
}

func TestAPIClientProducts(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	if ps, err := env.client.ClientsProducts(ctx, 1); err != nil || len(ps) != 0 {
		t.Fatalf("none: %v, %v", ps, err)
	}
	env.sim.AddProduct(whmcssim.Product{ClientID: 1, PID: 5, Name: "S3 Storage", Domain: "s3.example.com", ServerID: 2, Username: "ada", Password: "service-password"})
	env.sim.AddProduct(whmcssim.Product{ClientID: 2, PID: 5, Name: "S3 Storage"})
	env.sim.AddProduct(whmcssim.Product{ClientID: 1, PID: 6, Name: "S3 Plus", Status: "Suspended"})
	ps, err := env.client.ClientsProducts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Product{
		{ID: 1, PID: 5, Name: "S3 Storage", Status: "Active", ServerID: 2, Domain: "s3.example.com", Username: "ada"},
		{ID: 3, PID: 6, Name: "S3 Plus", Status: "Suspended"},
	}
	if fmt.Sprint(ps) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", ps, want)
	}
}

func TestAPIClientProductsPaging(t *testing.T) {
	env := newSimEnv(t, nil)
	for i := range productsPage + 10 {
		env.sim.AddProduct(whmcssim.Product{ClientID: 7, PID: int64(i), Name: "S3"})
	}
	ps, err := env.client.ClientsProducts(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != productsPage+10 || ps[0].ID != 1 || ps[len(ps)-1].ID != int64(productsPage+10) {
		t.Fatalf("%d products", len(ps))
	}
	if n := env.sim.CountRequests("GetClientsProducts"); n != 2 {
		t.Errorf("%d pages fetched, want 2", n)
	}
}

func TestAPIClientClients(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	list, total, err := env.client.Clients(ctx, "", 0, 25)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(list) != 3 || list[0].LastName != "Hopper" || list[0].ID != 7 || list[0].Email != "grace@example.com" {
		t.Fatalf("%d %+v", total, list)
	}
	list, total, err = env.client.Clients(ctx, "al", 0, 25)
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != 2 || list[0].Status != "Inactive" {
		t.Fatalf("search: %d %+v %v", total, list, err)
	}
	list, total, err = env.client.Clients(ctx, "", 2, 1)
	if err != nil || total != 3 || len(list) != 1 || list[0].LastName != "Turing" {
		t.Fatalf("page: %d %+v %v", total, list, err)
	}
	list, total, err = env.client.Clients(ctx, "nobody", 0, 25)
	if err != nil || total != 0 || len(list) != 0 {
		t.Fatalf("none: %d %+v %v", total, list, err)
	}
}

func TestAPIClientCredentialsRefused(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		mod  func(*APIConfig)
		msg  string
	}{
		{"wrong secret", func(c *APIConfig) { c.Secret = "wrong-" + testAPISecret }, "Authentication Failed"},
		{"wrong identifier", func(c *APIConfig) { c.Identifier = "nobody" }, "Authentication Failed"},
		{"wrong access key", func(c *APIConfig) { c.AccessKey = "wrong-" + testAccessKey }, "Invalid Access Key"},
		{"no access key", func(c *APIConfig) { c.AccessKey = "" }, "Invalid IP 127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.sim.ResetRequests()
			c := testAPIClient(t, env.srv.URL+whmcssim.APIPath, tc.mod)
			_, err := c.Client(ctx, 1)
			wantCode(t, err, staas.EUNAUTHORIZED)
			wantAPIDetail(t, err, "refused the credentials: "+tc.msg)
			noSecrets(t, err, "wrong-"+testAPISecret, "wrong-"+testAccessKey)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || apiErr.Action != "GetClientsDetails" {
				t.Errorf("APIError %+v", apiErr)
			}
			if n := len(env.sim.Requests()); n != 1 {
				t.Errorf("%d requests: refused credentials must not be retried", n)
			}
		})
	}
}

func TestAPIClientUnavailable(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	env.sim.SetDown(true)
	_, err := env.client.Client(ctx, 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	wantAPIDetail(t, err, "HTTP 503")
	if n := len(env.sim.Requests()); n != readAttempts {
		t.Errorf("read: %d attempts, want %d", n, readAttempts)
	}
	for name, call := range map[string]func() error{
		"products": func() error { _, err := env.client.ClientsProducts(ctx, 1); return err },
		"clients":  func() error { _, _, err := env.client.Clients(ctx, "", 0, 10); return err },
	} {
		env.sim.ResetRequests()
		wantCode(t, call(), staas.EUNAVAILABLE)
		if n := len(env.sim.Requests()); n != readAttempts {
			t.Errorf("%s: %d attempts, want %d", name, n, readAttempts)
		}
	}
	env.sim.ResetRequests()
	_, err = env.client.AddClientNote(ctx, 1, "x")
	wantCode(t, err, staas.EUNAVAILABLE)
	if n := len(env.sim.Requests()); n != 1 {
		t.Errorf("AddClientNote: %d attempts: it must never be retried", n)
	}
	env.sim.SetDown(false)
	var notes int
	if err := env.db.QueryRow(`SELECT COUNT(*) FROM tblnotes`).Scan(&notes); err != nil || notes != 0 {
		t.Errorf("%d notes, %v", notes, err)
	}
}

// failFirst answers the first n requests with status (and no envelope).
func failFirst(n int32, status int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var seen atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if seen.Add(1) <= n {
				http.Error(w, "bad gateway", status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestAPIClientRetryRecovers(t *testing.T) {
	env := newSimEnv(t, failFirst(2, http.StatusBadGateway))
	c, err := env.client.Client(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "grace@example.com" {
		t.Errorf("%+v", c)
	}
}

func TestAPIClientWriteNotRetried(t *testing.T) {
	env := newSimEnv(t, failFirst(1, http.StatusBadGateway))
	_, err := env.client.AddClientNote(context.Background(), 7, "x")
	wantCode(t, err, staas.EUNAVAILABLE)
	var n int
	if err := env.db.QueryRow(`SELECT COUNT(*) FROM tblnotes`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d notes", n)
	}
}

// rawServer answers every request with status and body.
func rawServer(t *testing.T, status int, body string) (*APIClient, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return testAPIClient(t, srv.URL+"/includes/api.php", nil), &hits
}

func TestAPIClientErrorMapping(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		code     string
		msg      string
		attempts int32
	}{
		{"403 with envelope", 403, `{"result":"error","message":"Authentication Failed"}`, staas.EUNAUTHORIZED, "Authentication Failed", 1},
		{"403 without envelope", 403, `<html>Forbidden</html>`, staas.EUNAUTHORIZED, "HTTP 403", 1},
		{"401", 401, `{"result":"error","message":"Invalid or missing credentials"}`, staas.EUNAUTHORIZED, "Invalid or missing credentials", 1},
		{"500", 500, `{"result":"error","message":"boom"}`, staas.EUNAVAILABLE, "HTTP 500", readAttempts},
		{"429", 429, ``, staas.EUNAVAILABLE, "HTTP 429", readAttempts},
		{"404 wrong URL", 404, `<html>Not Found</html>`, staas.EUNAVAILABLE, "HTTP 404", readAttempts},
		{"302", 302, ``, staas.EUNAVAILABLE, "HTTP 302", readAttempts},
		{"not JSON", 200, `result=success;`, staas.EUNAVAILABLE, "not JSON", readAttempts},
		{"empty body", 200, ``, staas.EUNAVAILABLE, "not JSON", readAttempts},
		{"no result", 200, `{"client":{}}`, staas.EINTERNAL, "no result", 1},
		{"client not found", 200, `{"result":"error","message":"Client Not Found"}`, staas.ENOTFOUND, "Client Not Found", 1},
		{"client id not found", 200, `{"result":"error","message":"Client ID not found"}`, staas.ENOTFOUND, "Client ID not found", 1},
		{"other error", 200, `{"result":"error","message":"Invalid Permissions: API action \"getclientsdetails\" is not allowed"}`, staas.EINVALID, "Invalid Permissions", 1},
		{"error without message", 200, `{"result":"error"}`, staas.EINVALID, "no reason given", 1},
		{"unknown command", 200, `{"result":"error","message":"Command Not Found"}`, staas.EINVALID, "Command Not Found", 1},
		{"message with control characters", 200, "{\"result\":\"error\",\"message\":\"line1\\nline2\\u0000\"}", staas.EINVALID, "line1 line2", 1},
		{"echoed secret", 200, `{"result":"error","message":"bad secret ` + testAPISecret + ` and key ` + testAccessKey + `"}`, staas.EINVALID, "bad secret [redacted] and key [redacted]", 1},
		{"wrong client object", 200, `{"result":"success","client":{"id":"abc"}}`, staas.EINTERNAL, "unexpected", 1},
		{"another client", 200, `{"result":"success","client":{"id":5}}`, staas.EINTERNAL, "got client 5", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, hits := rawServer(t, tc.status, tc.body)
			_, err := c.Client(ctx, 1)
			wantCode(t, err, tc.code)
			wantAPIDetail(t, err, tc.msg)
			noSecrets(t, err)
			if hits.Load() != tc.attempts {
				t.Errorf("%d attempts, want %d", hits.Load(), tc.attempts)
			}
		})
	}
}

func TestAPIClientLenientNumbers(t *testing.T) {
	ctx := context.Background()
	// Numbers as numbers, as strings, and null; the deprecated top-level
	// copy only (an older WHMCS).
	c, _ := rawServer(t, 200, `{"result":"success","userid":4,"id":"4","firstname":"Top","lastname":"Level","email":"top@example.com","status":"Active","companyname":null}`)
	cl, err := c.Client(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != 4 || cl.FirstName != "Top" || cl.Email != "top@example.com" || cl.CompanyName != "" {
		t.Errorf("top-level: %+v", cl)
	}
	// The nested object wins over the top-level copy.
	c, _ = rawServer(t, 200, `{"result":"success","firstname":"Old","client":{"client_id":4,"firstname":"New","lastname":12,"email":"n@example.com","status":"Closed"}}`)
	if cl, err = c.Client(ctx, 4); err != nil || cl.FirstName != "New" || cl.LastName != "12" || cl.Status != "Closed" {
		t.Errorf("nested: %+v %v", cl, err)
	}
	// No id at all: the requested one.
	c, _ = rawServer(t, 200, `{"result":"success","client":{"firstname":"Anon"}}`)
	if cl, err = c.Client(ctx, 9); err != nil || cl.ID != 9 {
		t.Errorf("no id: %+v %v", cl, err)
	}
	c, _ = rawServer(t, 200, `{"result":"success","noteid":"42"}`)
	if id, err := c.AddClientNote(ctx, 1, "x"); err != nil || id != 42 {
		t.Errorf("noteid string: %d %v", id, err)
	}
	c, _ = rawServer(t, 200, `{"result":"success","noteid":43}`)
	if id, err := c.AddClientNote(ctx, 1, "x"); err != nil || id != 43 {
		t.Errorf("noteid number: %d %v", id, err)
	}
	// One product as a bare object, ids as numbers, total as a string.
	c, _ = rawServer(t, 200, `{"result":"success","totalresults":"1","startnumber":0,"numreturned":1,"products":{"product":{"id":3,"pid":"5","serverid":null,"name":"S3","status":"Active"}}}`)
	ps, err := c.ClientsProducts(ctx, 1)
	if err != nil || len(ps) != 1 || ps[0].ID != 3 || ps[0].PID != 5 || ps[0].ServerID != 0 {
		t.Errorf("products: %+v %v", ps, err)
	}
	for _, empty := range []string{`""`, `[]`, `null`, `{"product":[]}`} {
		c, _ = rawServer(t, 200, `{"result":"success","totalresults":0,"products":`+empty+`}`)
		if ps, err := c.ClientsProducts(ctx, 1); err != nil || len(ps) != 0 {
			t.Errorf("products %s: %+v %v", empty, ps, err)
		}
	}
	c, _ = rawServer(t, 200, `{"result":"success","totalresults":2,"clients":{"client":[{"id":1,"email":"a@x"},{"id":"2","email":"b@x"}]}}`)
	list, total, err := c.Clients(ctx, "", 0, 10)
	if err != nil || total != 2 || len(list) != 2 || list[1].ID != 2 {
		t.Errorf("clients: %d %+v %v", total, list, err)
	}
}

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]int64{`1`: 1, `"1"`: 1, `""`: 0, `null`: 0, `-7`: -7, `"9007199254740993"`: 9007199254740993} {
		var n flexInt
		if err := n.UnmarshalJSON([]byte(in)); err != nil || int64(n) != want {
			t.Errorf("%s: %d %v", in, n, err)
		}
	}
	for _, in := range []string{`1.5`, `"1.5"`, `"abc"`, `true`, `{}`, `"1 "`} {
		var n flexInt
		if err := n.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s accepted as %d", in, n)
		}
	}
}

// TestAPIClientRequestForm pins what is posted: the credentials and the
// command as form fields of a POST body, nothing in the URL.
func TestAPIClientRequestForm(t *testing.T) {
	var got *http.Request
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = r.ParseForm()
		form = r.PostForm
		_, _ = io.WriteString(w, `{"result":"success","noteid":"1"}`)
	}))
	defer srv.Close()
	c := testAPIClient(t, srv.URL+"/includes/api.php", nil)
	if _, err := c.AddClientNote(context.Background(), 12, "a&b=c"); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.RawQuery != "" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("%s %s %s", got.Method, got.URL, got.Header.Get("Content-Type"))
	}
	want := url.Values{"identifier": {testIdentifier}, "secret": {testAPISecret}, "accesskey": {testAccessKey},
		"action": {"AddClientNote"}, "responsetype": {"json"}, "userid": {"12"}, "notes": {"a&b=c"}}
	if fmt.Sprint(form) != fmt.Sprint(want) {
		t.Errorf("form %v\nwant %v", form, want)
	}
	c = testAPIClient(t, srv.URL+"/includes/api.php", func(cfg *APIConfig) { cfg.AccessKey = "" })
	if _, err := c.Client(context.Background(), 3); err != nil || form.Has("accesskey") || form.Get("clientid") != "3" || form.Get("stats") != "false" {
		t.Errorf("without access key: %v %v", form, err)
	}
}

func TestAPIClientRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := testAPIClient(t, srv.URL+"/includes/api.php", nil)
	c.hc = sharedHTTPClient()
	_, err := c.AddClientNote(context.Background(), 1, "x")
	wantCode(t, err, staas.EUNAVAILABLE)
	wantAPIDetail(t, err, "HTTP 307")
	if elsewhere.Load() != 0 {
		t.Error("the redirect was followed: credentials were posted elsewhere")
	}
}

func TestAPIClientTimeoutsAndNetwork(t *testing.T) {
	ctx := context.Background()
	var hits atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer slow.Close()
	c := testAPIClient(t, slow.URL+"/includes/api.php?k=QUERY-SECRET-123", func(cfg *APIConfig) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.Client(ctx, 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	wantAPIDetail(t, err, "no answer in time")
	noSecrets(t, err, "QUERY-SECRET-123")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the cause is lost: %v", err)
	}
	if hits.Load() != readAttempts {
		t.Errorf("%d attempts", hits.Load())
	}

	// Nothing listens: connection refused, with the URL's query redacted.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c = testAPIClient(t, "http://"+addr+"/includes/api.php?token=QUERY-SECRET-123", nil)
	_, err = c.Client(ctx, 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	noSecrets(t, err, "QUERY-SECRET-123")
	wantAPIDetail(t, err, "/includes/api.php?[redacted]")

	// The caller cancels: no retries.
	hits.Store(0)
	cctx, cancel := context.WithCancel(ctx)
	c = testAPIClient(t, slow.URL+"/includes/api.php", nil)
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	_, err = c.Client(cctx, 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	if hits.Load() != 1 {
		t.Errorf("%d attempts after cancel", hits.Load())
	}
}

func TestNewAPIClientValidation(t *testing.T) {
	ok := APIConfig{URL: "https://billing.example.com/includes/api.php", Identifier: "i", Secret: testAPISecret}
	if _, err := NewAPIClient(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*APIConfig){
		"no URL":           func(c *APIConfig) { c.URL = "" },
		"not http":         func(c *APIConfig) { c.URL = "ftp://x/includes/api.php" },
		"no host":          func(c *APIConfig) { c.URL = "https:///includes/api.php" },
		"credentials":      func(c *APIConfig) { c.URL = "https://u:" + testAPISecret + "@x/includes/api.php" },
		"fragment":         func(c *APIConfig) { c.URL = "https://x/includes/api.php#f" },
		"no identifier":    func(c *APIConfig) { c.Identifier = "" },
		"no secret":        func(c *APIConfig) { c.Secret = "" },
		"negative timeout": func(c *APIConfig) { c.Timeout = -1 },
	} {
		cfg := ok
		mod(&cfg)
		_, err := NewAPIClient(cfg)
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
		noSecrets(t, err)
	}
}

func TestAPIConfigNeverPrintsSecrets(t *testing.T) {
	cfg := APIConfig{URL: "https://x/includes/api.php?q=QUERY-SECRET-123", Identifier: "i", Secret: testAPISecret, AccessKey: testAccessKey}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "whmcs", cfg)
	c, err := NewAPIClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, c), logged.String()} {
		for _, secret := range []string{testAPISecret, testAccessKey, "QUERY-SECRET-123"} {
			if strings.Contains(s, secret) {
				t.Errorf("secret in %s", s)
			}
		}
	}
	if !strings.Contains(logged.String(), "[redacted]") {
		t.Errorf("log: %s", logged.String())
	}
}

// wantAPIDetail expects an API failure to read as an admin sentence —
// no API URL, no HTTP status, no "WHMCS API <Action>:", no WHMCS text
// quoted — and its detail (substr among it) in the cause for the log.
func wantAPIDetail(t *testing.T, err error, substr string) {
	t.Helper()
	msg := staas.ErrorMessage(err)
	for _, internal := range []string{"://", "127.0.0.1", "?", "HTTP ", "WHMCS API Get", "WHMCS API Add", "[redacted]", "dial tcp", "connection refused", "deadline", "Not Found", "not found", "Forbidden", "boom", "Authentication Failed", "Invalid"} {
		if strings.Contains(msg, internal) {
			t.Errorf("the admin's message %q shows %q", msg, internal)
		}
	}
	if msg == "" || !strings.HasSuffix(msg, ".") || msg[0] < 'A' || msg[0] > 'Z' {
		t.Errorf("the admin's message %q is not a sentence", msg)
	}
	if detail := staas.ErrorDetail(err); !strings.Contains(detail, substr) || !strings.Contains(detail, "WHMCS API ") {
		t.Errorf("the log's detail %q lacks %q", detail, substr)
	}
}
