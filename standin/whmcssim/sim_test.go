package whmcssim

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"staas"
)

var creds = Credentials{Identifier: "ident-1", Secret: "api-secret-XYZ", AccessKey: "access!key"}

var seed = []staas.Client{
	{ID: 1, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines"},
	{ID: 2, Email: "alan@example.com", FirstName: "Alan", LastName: "Turing", Status: "Inactive"},
	{ID: 7, Email: "grace@navy.example", FirstName: "Grace", LastName: "Hopper", CompanyName: "Navy"},
}

func newDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "whmcs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := CreateSchema(ctx, db); err != nil {
		t.Fatalf("CreateSchema is not idempotent: %v", err)
	}
	if err := SeedClients(ctx, db, seed); err != nil {
		t.Fatal(err)
	}
	return db
}

type answer struct {
	status int
	ctype  string
	raw    string
	fields map[string]any
}

func post(t *testing.T, h http.Handler, form url.Values) answer {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+APIPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(b)}
	_ = json.Unmarshal(b, &a.fields)
	return a
}

func authed(action string, kv ...string) url.Values {
	f := url.Values{"identifier": {creds.Identifier}, "secret": {creds.Secret}, "accesskey": {creds.AccessKey},
		"action": {action}, "responsetype": {"json"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestSchemaAndSeed(t *testing.T) {
	db := newDB(t)
	d, err := DialectOf(db)
	if err != nil || d != SQLite {
		t.Fatalf("dialect %q, %v", d, err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM tblclients`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d clients, %v", n, err)
	}
	var status string
	if err := db.QueryRow(`SELECT status FROM tblclients WHERE id = ?`, 1).Scan(&status); err != nil || status != "Active" {
		t.Fatalf("default status %q, %v", status, err)
	}
	if _, err := db.Exec(`UPDATE tblclients SET status = ? WHERE id = ?`, "Deleted", 1); err == nil {
		t.Error("a status WHMCS's enum does not have was accepted")
	}
	if err := SeedClients(context.Background(), db, []staas.Client{{Email: "next@example.com"}}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.QueryRow(`SELECT id FROM tblclients WHERE email = ?`, "next@example.com").Scan(&id); err != nil || id != 8 {
		t.Fatalf("next id %d, %v", id, err)
	}
}

func TestAuthentication(t *testing.T) {
	api := NewAPI(newDB(t), creds)
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"wrong secret", func() url.Values { f := authed("GetClients"); f.Set("secret", "nope"); return f }(), 403, "Authentication Failed"},
		{"wrong identifier", func() url.Values { f := authed("GetClients"); f.Set("identifier", "nope"); return f }(), 403, "Authentication Failed"},
		{"no credentials", func() url.Values { f := authed("GetClients"); f.Del("identifier"); f.Del("secret"); return f }(), 403, "Invalid or missing credentials"},
		{"wrong access key", func() url.Values { f := authed("GetClients"); f.Set("accesskey", "nope"); return f }(), 403, "Invalid Access Key"},
		{"no access key", func() url.Values { f := authed("GetClients"); f.Del("accesskey"); return f }(), 403, "Invalid IP 127.0.0.1"},
		{"username/password", func() url.Values {
			f := authed("GetClients")
			f.Set("username", f.Get("identifier"))
			f.Set("password", f.Get("secret"))
			f.Del("identifier")
			f.Del("secret")
			return f
		}(), 200, ""},
		{"unknown command", authed("DeleteClientNote"), 200, "Command Not Found"},
	} {
		a := post(t, api, tc.form)
		if a.status != tc.status || (tc.msg != "" && a.fields["message"] != tc.msg) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.raw)
		}
		if a.fields["result"] == nil {
			t.Errorf("%s: no JSON envelope: %s", tc.name, a.raw)
		}
	}
	// Requests are recorded by action, never with credentials.
	for _, r := range api.Requests() {
		if strings.Contains(r.Action, creds.Secret) || r.Action != "getclients" && r.Action != "deleteclientnote" {
			t.Errorf("recorded %+v", r)
		}
	}
	if n := api.CountRequests("GetClients"); n != 6 {
		t.Errorf("CountRequests = %d", n)
	}
}

func TestTransport(t *testing.T) {
	api := NewAPI(newDB(t), Credentials{Identifier: "i", Secret: "s"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	resp, err := http.Get(srv.URL + APIPath + "?identifier=i&secret=s&action=GetClients&responsetype=json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	a := post(t, api, url.Values{"identifier": {"i"}, "secret": {"s"}, "action": {"GetClients"}})
	if a.status != 200 || !strings.HasPrefix(a.ctype, "text/plain") || a.fields != nil {
		t.Errorf("no responsetype: %d %s %s", a.status, a.ctype, a.raw)
	}
	api.SetDown(true)
	a = post(t, api, url.Values{"identifier": {"i"}, "secret": {"s"}, "action": {"GetClients"}, "responsetype": {"json"}})
	if a.status != 503 || !strings.Contains(a.ctype, "html") {
		t.Errorf("down: %d %s", a.status, a.ctype)
	}
	api.SetDown(false)
	resp, err = http.Post(srv.URL+"/other.php", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("other path: %d", resp.StatusCode)
	}
	if got := len(api.Requests()); got != 3 {
		t.Errorf("%d requests recorded", got)
	}
	api.ResetRequests()
	if len(api.Requests()) != 0 {
		t.Error("ResetRequests")
	}
}

func TestGetClientsDetails(t *testing.T) {
	api := NewAPI(newDB(t), creds)
	a := post(t, api, authed("GetClientsDetails", "clientid", "1", "stats", "false"))
	c, _ := a.fields["client"].(map[string]any)
	if a.fields["result"] != "success" || c == nil || c["id"] != "1" || c["email"] != "ada@example.com" || c["companyname"] != "Analytical Engines" {
		t.Fatalf("%s", a.raw)
	}
	if a.fields["firstname"] != "Ada" || a.fields["userid"] != "1" {
		t.Errorf("no top-level copy: %s", a.raw)
	}
	if !strings.Contains(a.raw, `ada@example.com`) || !strings.Contains(post(t, api, authed("GetClientsDetails", "clientid", "7")).raw, `grace@navy.example`) {
		t.Error("email")
	}
	if a := post(t, api, authed("GetClientsDetails", "email", "alan@example.com")); a.fields["id"] != "2" || a.fields["status"] != "Inactive" {
		t.Errorf("by email: %s", a.raw)
	}
	for _, id := range []string{"99", "abc", "-1"} {
		if a := post(t, api, authed("GetClientsDetails", "clientid", id)); a.fields["message"] != "Client Not Found" {
			t.Errorf("%s: %s", id, a.raw)
		}
	}
	if a := post(t, api, authed("GetClientsDetails")); a.fields["message"] != "Either clientid Or email Is Required" {
		t.Errorf("%s", a.raw)
	}
}

func TestGetClients(t *testing.T) {
	api := NewAPI(newDB(t), creds)
	a := post(t, api, authed("GetClients"))
	if a.fields["totalresults"] != "3" || a.fields["numreturned"] != "3" {
		t.Fatalf("%s", a.raw)
	}
	list := a.fields["clients"].(map[string]any)["client"].([]any)
	var last []string
	for _, c := range list {
		last = append(last, c.(map[string]any)["lastname"].(string))
	}
	if strings.Join(last, ",") != "Hopper,Lovelace,Turing" {
		t.Errorf("order %v (WHMCS sorts by last name)", last)
	}
	for search, want := range map[string]string{"al": "1", "ALAN": "1", "grace h": "1", "navy": "1", "analytical": "1", "example.com": "0", "a": "2", "": "3"} {
		if a := post(t, api, authed("GetClients", "search", search)); a.fields["totalresults"] != want {
			t.Errorf("search %q: %s", search, a.raw)
		}
	}
	a = post(t, api, authed("GetClients", "limitstart", "1", "limitnum", "1"))
	if a.fields["totalresults"] != "3" || a.fields["numreturned"] != "1" || a.fields["startnumber"] != "1" {
		t.Errorf("page: %s", a.raw)
	}
	if a := post(t, api, authed("GetClients", "search", "zzz")); a.fields["clients"] != nil || a.fields["numreturned"] != "0" {
		t.Errorf("none: %s", a.raw)
	}
	if a := post(t, api, authed("GetClients", "status", "inactive")); a.fields["totalresults"] != "1" {
		t.Errorf("status: %s", a.raw)
	}
	if a := post(t, api, authed("GetClients", "status", "gone")); a.fields["result"] != "error" {
		t.Errorf("bad status: %s", a.raw)
	}
}

func TestAddClientNote(t *testing.T) {
	db := newDB(t)
	api := NewAPI(db, creds)
	api.AdminID = 3
	api.Now = func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC) }
	a := post(t, api, authed("AddClientNote", "userid", "7", "notes", "UserId: x\nAWSAccessKeyId: y"))
	if a.fields["result"] != "success" || a.fields["noteid"] != "1" {
		t.Fatalf("%s", a.raw)
	}
	var userid, adminid, sticky int64
	var note string
	var created time.Time
	if err := db.QueryRow(`SELECT userid, adminid, note, sticky, created FROM tblnotes WHERE id = 1`).Scan(&userid, &adminid, &note, &sticky, &created); err != nil {
		t.Fatal(err)
	}
	if userid != 7 || adminid != 3 || note != "UserId: x\nAWSAccessKeyId: y" || sticky != 0 || !created.Equal(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("stored %d %d %q %d %v", userid, adminid, note, sticky, created)
	}
	if a := post(t, api, authed("AddClientNote", "userid", "7", "notes", "pinned", "sticky", "true")); a.fields["noteid"] != "2" {
		t.Errorf("%s", a.raw)
	}
	for _, tc := range []struct{ userid, notes, msg string }{
		{"99", "x", "Client ID not found"},
		{"", "x", "Client ID not found"},
		{"7", "", "Notes can not be empty"},
		{"7", "0", "Notes can not be empty"}, // PHP's !"0"
		{"99", "", "Client ID not found"},    // WHMCS checks the client first
	} {
		if a := post(t, api, authed("AddClientNote", "userid", tc.userid, "notes", tc.notes)); a.fields["message"] != tc.msg {
			t.Errorf("%+v: %s", tc, a.raw)
		}
	}
}

func TestGetClientsProducts(t *testing.T) {
	api := NewAPI(newDB(t), creds)
	if a := post(t, api, authed("GetClientsProducts", "clientid", "1")); a.fields["products"] != "" || a.fields["totalresults"] != "0" {
		t.Fatalf("none: %s", a.raw)
	}
	p := api.AddProduct(Product{ClientID: 1, PID: 5, Name: "S3 Storage", Domain: "s3.example.com", ServerID: 2, Username: "ada", Password: "pw"})
	if p.ID != 1 || p.Status != "Active" {
		t.Errorf("AddProduct: %+v", p)
	}
	api.AddProduct(Product{ClientID: 2, PID: 5, Name: "S3 Storage", Status: "Suspended"})
	api.AddProduct(Product{ClientID: 1, PID: 6, Name: "S3 Plus"})
	a := post(t, api, authed("GetClientsProducts", "clientid", "1"))
	list := a.fields["products"].(map[string]any)["product"].([]any)
	if a.fields["totalresults"] != "2" || a.fields["numreturned"] != float64(2) || a.fields["startnumber"] != float64(0) || len(list) != 2 {
		t.Fatalf("%s", a.raw)
	}
	first := list[0].(map[string]any)
	if first["id"] != "1" || first["pid"] != "5" || first["serverid"] != "2" || first["domain"] != "s3.example.com" || first["status"] != "Active" {
		t.Errorf("%v", first)
	}
	if !strings.Contains(a.raw, `"domain":"s3.example.com"`) || !strings.Contains(a.raw, `"lastupdate":"0000-00-00 00:00:00"`) {
		t.Errorf("raw %s", a.raw)
	}
	if a := post(t, api, authed("GetClientsProducts", "clientid", "1", "limitstart", "1", "limitnum", "1")); a.fields["numreturned"] != float64(1) || a.fields["totalresults"] != "2" {
		t.Errorf("page: %s", a.raw)
	}
	if a := post(t, api, authed("GetClientsProducts", "serviceid", "2")); a.fields["totalresults"] != "1" {
		t.Errorf("by service: %s", a.raw)
	}
}

func TestSlashesEscapedLikePHP(t *testing.T) {
	api := NewAPI(newDB(t), creds)
	api.AddProduct(Product{ClientID: 1, Name: "a/b", RegDate: "2026-01-01"})
	a := post(t, api, authed("GetClientsProducts", "clientid", "1"))
	if !strings.Contains(a.raw, `"name":"a\/b"`) {
		t.Errorf("%s", a.raw)
	}
}

func TestPHPCasts(t *testing.T) {
	for in, want := range map[string]int64{"12": 12, "12abc": 12, "abc": 0, "": 0, " 7": 7, "-3": -3} { //nolint:gocritic // " 7": PHP reads leading blanks as part of a number
		if got := phpInt(in); got != want {
			t.Errorf("phpInt(%q) = %d", in, got)
		}
	}
	if normalizeAction("Get-Clients_Details ") != "getclientsdetails" {
		t.Error(normalizeAction("Get-Clients_Details "))
	}
}

// What the reseller portal reads over the API, with WHMCS's documented
// field names: GetClientsDetails's client.customfields [{id, value}],
// GetClients's groupid and status in id order (orderby, sorting), and
// GetClientsProducts listing the services in tblhosting named by their
// product (name, pid, status).
func TestPortalActions(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	api := NewAPI(db, creds)
	for _, err := range []error{
		SetClientGroup(ctx, db, 7, 3),
		SetClientField(ctx, db, 7, "Reseller|Reseller name", "acme"),
		SetService(ctx, db, 40, 7, "Suspended"),
		SetProductQuota(ctx, db, 5, 40, "100"),
		SetProductName(ctx, db, 5, "S3 Gold"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	a := post(t, api, authed("GetClientsDetails", "clientid", "7"))
	cf := a.fields["client"].(map[string]any)["customfields"].([]any)
	if len(cf) != 1 || cf[0].(map[string]any)["value"] != "acme" || cf[0].(map[string]any)["id"] != "1" {
		t.Fatalf("customfields: %s", a.raw)
	}
	a = post(t, api, authed("GetClients", "orderby", "id", "sorting", "DESC", "limitnum", "2"))
	list := a.fields["clients"].(map[string]any)["client"].([]any)
	if a.fields["totalresults"] != "3" || len(list) != 2 || list[0].(map[string]any)["id"] != "7" || list[0].(map[string]any)["groupid"] != "3" ||
		list[0].(map[string]any)["status"] != "Active" || list[1].(map[string]any)["id"] != "2" {
		t.Fatalf("GetClients by id, descending: %s", a.raw)
	}
	a = post(t, api, authed("GetClientsProducts", "serviceid", "40"))
	prods := a.fields["products"].(map[string]any)["product"].([]any)
	p := prods[0].(map[string]any)
	if len(prods) != 1 || p["name"] != "S3 Gold" || p["pid"] != "5" || p["status"] != "Suspended" || p["clientid"] != "7" {
		t.Fatalf("GetClientsProducts of a tblhosting service: %s", a.raw)
	}
}
