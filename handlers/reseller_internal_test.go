package handlers

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/reseller"
	"staas/internal/store"
	"staas/internal/usage"
)

type resellerNames struct{}

func (resellerNames) Client(_ context.Context, id int64) (*staas.Client, error) {
	return &staas.Client{ID: id, CompanyName: "=Client " + strconv.FormatInt(id, 10) + " Ltd"}, nil
}

type resellerFigures struct{}

// UserUpdate: service N stores N×1000 bytes in one bucket "bucket-N"
// (the client-level user of client C in "panel-C").
func (resellerFigures) UserUpdate(_ context.Context, u staas.S3User, _ time.Time) (*usage.ServiceUpdate, error) {
	service := u.ServiceID
	bucket := "bucket-" + strconv.FormatInt(service, 10)
	if service == 0 {
		bucket, service = "panel-"+strconv.FormatInt(u.ClientID, 10), u.ClientID*10+9
	}
	return &usage.ServiceUpdate{ServiceID: u.ServiceID, StoredBytes: uint64(service) * 1000, QuotaGB: 5, DownloadedBytes: 77,
		UploadedBytes: 2048, Buckets: 2, SampledAt: time.Now().Add(-10 * time.Minute), Requests: usage.Traffic{Get: 5, Put: 3, List: 2, Other: 1},
		GBMonths: 0.25, BucketsNow: []usage.BucketNow{{Bucket: bucket, Bytes: uint64(service) * 1000}}}, nil
}

// UserDaily: one day with 1 MB downloaded per day.
func (resellerFigures) UserDaily(_ context.Context, _, _ string, from, to time.Time) ([]usage.Day, error) {
	var out []usage.Day
	for d := from; d.Before(to); d = d.Add(24 * time.Hour) {
		out = append(out, usage.Day{Date: d, Traffic: usage.Traffic{Downloaded: 1_000_000, Get: 4}})
	}
	return out, nil
}

// UserTotals: the user's bucket with its traffic of the period:
// "bucket-N" of user "userN", "panel-C" of the client-level "panelC".
func (resellerFigures) UserTotals(_ context.Context, _, user string, from, to time.Time) (*usage.Totals, error) {
	bucket := "bucket-" + strings.TrimPrefix(user, "user")
	if c, ok := strings.CutPrefix(user, "panel"); ok {
		bucket = "panel-" + c
	}
	return &usage.Totals{UserID: user, From: from, To: to, Traffic: usage.Traffic{Downloaded: 30_000_000},
		Buckets: []usage.BucketTotals{{Bucket: bucket, Traffic: usage.Traffic{Downloaded: 30_000_000, Get: 120}}}}, nil
}

// portalWorld: reseller a@acme.example has clients 1 and 2 (services
// 11, 21), b@beta.example client 3 (service 31); client 4 (41) is
// nobody's.
func portalWorld(t *testing.T) (http.Handler, *time.Time, *store.Store) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "staas.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, r := range []struct{ email, src string }{{"a@acme.example", "ids:1,2"}, {"b@beta.example", "ids:3"}} {
		src, _ := store.ParseResellerSource(r.src)
		if _, err := st.AddReseller(ctx, store.Reseller{Name: r.email, Email: r.email, Source: src}, "password of "+r.email); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []staas.S3User{{ClientID: 1, ServiceID: 11}, {ClientID: 2, ServiceID: 21}, {ClientID: 3, ServiceID: 31}, {ClientID: 4, ServiceID: 41}} {
		u.Cluster, u.UserID = "default", "user"+strconv.FormatInt(u.ServiceID, 10)
		u.Email = u.UserID + "@example.com"
		if err := st.SaveS3User(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	portal := &reseller.Portal{Accounts: st, Members: reseller.NewMembers(nil, 0), Mappings: st, Figures: resellerFigures{}, Names: resellerNames{}}
	key := []byte(strings.Repeat("k", 64))
	e := mustNew(t, Deps{ResellerPortal: portal, ResellerAuth: reseller.NewAuth(st, st), ResellerSessionKey: key, Now: func() time.Time { return now }})
	return e, &now, st
}

// browser keeps the portal's cookie between requests.
type browser struct {
	t      *testing.T
	h      http.Handler
	cookie *http.Cookie
}

func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = "192.0.2.10:4000"
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == resellerCookie {
			if c.MaxAge < 0 {
				b.cookie = nil
			} else {
				b.cookie = c
			}
		}
	}
	return rec
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf(body string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token in:\n%s", body)
	}
	return m[1]
}

func (b *browser) login(email string) string {
	b.t.Helper()
	page := b.do("GET", "/reseller/login", nil)
	before := b.cookie.Value
	rec := b.do("POST", "/reseller/login", url.Values{"csrf": {b.csrf(page.Body.String())}, "email": {email}, "password": {"password of " + email}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reseller/" {
		b.t.Fatalf("login %s: %d %s", email, rec.Code, rec.Body)
	}
	if b.cookie == nil || b.cookie.Value == before {
		b.t.Fatal("the session was not renewed at login")
	}
	sum := b.do("GET", "/reseller/", nil)
	if sum.Code != http.StatusOK {
		b.t.Fatalf("summary after login: %d %s", sum.Code, sum.Body)
	}
	return sum.Body.String()
}

func TestResellerPortalLogin(t *testing.T) {
	h, now, _ := portalWorld(t)
	b := &browser{t: t, h: h}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("summary without a session: %d", rec.Code)
	}
	b.do("GET", "/reseller/login", nil)
	c := b.cookie
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/reseller/" {
		t.Fatalf("cookie %+v", c)
	}
	// No CSRF token, or a wrong password: refused, no session.
	if rec := b.do("POST", "/reseller/login", url.Values{"email": {"a@acme.example"}, "password": {"password of a@acme.example"}}); rec.Code != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d", rec.Code)
	}
	page := b.do("GET", "/reseller/login", nil)
	if rec := b.do("POST", "/reseller/login", url.Values{"csrf": {b.csrf(page.Body.String())}, "email": {"a@acme.example"}, "password": {"wrong password!!"}}); rec.Code != http.StatusUnauthorized ||
		!strings.Contains(rec.Body.String(), "email or password is wrong") {
		t.Fatalf("wrong password: %d %s", rec.Code, rec.Body)
	}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("a failed login gave a session: %d", rec.Code)
	}

	body := b.login("a@acme.example")
	for _, want := range []string{"/reseller/clients/1", "/reseller/clients/2", ">11<", ">21<", "77 B"} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q:\n%s", want, body)
		}
	}
	// Logout needs its CSRF token.
	if rec := b.do("POST", "/reseller/logout", url.Values{}); rec.Code != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d", rec.Code)
	}
	if rec := b.do("POST", "/reseller/logout", url.Values{"csrf": {b.csrf(body)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", rec.Code)
	}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("summary after logout: %d", rec.Code)
	}

	// Idle timeout: 30 minutes without a request.
	b.login("a@acme.example")
	*now = now.Add(29 * time.Minute)
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", rec.Code)
	}
	*now = now.Add(30 * time.Minute)
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("after 30 idle minutes: %d", rec.Code)
	}
	// Absolute timeout: 12 hours however active.
	b.login("a@acme.example")
	for range 25 {
		*now = now.Add(29 * time.Minute)
		b.do("GET", "/reseller/", nil)
	}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("after 12 hours: %d", rec.Code)
	}
}

// TestResellerPortalIsolation: two resellers, every portal URL tried with
// the other's client ids (and nobody's): 404, never data.
func TestResellerPortalIsolation(t *testing.T) {
	h, _, _ := portalWorld(t)
	own := map[string][]int64{"a@acme.example": {1, 2}, "b@beta.example": {3}}
	for email, clients := range own {
		b := &browser{t: t, h: h}
		body := b.login(email)
		mine := map[int64]bool{}
		for _, c := range clients {
			mine[c] = true
		}
		for _, svc := range []int64{11, 21, 31, 41} {
			if !mine[svc/10] && strings.Contains(body, ">"+strconv.FormatInt(svc, 10)+"<") {
				t.Errorf("%s's summary shows service %d", email, svc)
			}
		}
		for _, client := range []string{"1", "2", "3", "4", "0", "-1", "99", "x", "1%2C3"} {
			rec := b.do("GET", "/reseller/clients/"+client, nil)
			id, _ := strconv.ParseInt(client, 10, 64)
			if mine[id] {
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ">"+client+"1<") {
					t.Errorf("%s, own client %s: %d %s", email, client, rec.Code, rec.Body)
				}
				continue
			}
			if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "user") || strings.Contains(rec.Body.String(), "<td>") {
				t.Errorf("%s, client %s: %d %s", email, client, rec.Code, rec.Body)
			}
		}
	}
}

// A reseller disabled while logged in is sent to the login at its next
// request, and cannot log in again.
func TestResellerPortalDisabled(t *testing.T) {
	h, _, st := portalWorld(t)
	b := &browser{t: t, h: h}
	b.login("a@acme.example")
	r, err := st.ResellerByEmail(context.Background(), "a@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetResellerState(context.Background(), r.ID, store.ResellerDisabled); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/reseller/", "/reseller/clients/1", "/reseller/clients/1?service=11&days=90", "/reseller/clients/1/buckets.csv",
		"/reseller/export.csv", "/reseller/top-buckets.csv"} {
		if rec := b.do("GET", path, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reseller/login" || strings.Contains(rec.Body.String(), "bucket-") {
			t.Errorf("%s after disable: %d %s", path, rec.Code, rec.Body)
		}
	}
	page := b.do("GET", "/reseller/login", nil)
	rec := b.do("POST", "/reseller/login", url.Values{"csrf": {b.csrf(page.Body.String())}, "email": {"a@acme.example"}, "password": {"password of a@acme.example"}})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "disabled") {
		t.Fatalf("login when disabled: %d %s", rec.Code, rec.Body)
	}
}

// TestResellerPortalExportIsolation: each reseller's CSV has its own
// clients' services, and another reseller's (or nobody's) client ids
// never appear in it, whatever the period.
func TestResellerPortalExportIsolation(t *testing.T) {
	h, now, _ := portalWorld(t)
	own := map[string][]int64{"a@acme.example": {1, 2}, "b@beta.example": {3}}
	for email, clients := range own {
		b := &browser{t: t, h: h}
		b.login(email)
		mine := map[string]bool{}
		for _, c := range clients {
			mine[strconv.FormatInt(c, 10)] = true
		}
		for _, per := range []string{"this", "last", "", "x"} {
			rec := b.do("GET", "/reseller/export.csv?period="+per, nil)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
				t.Fatalf("%s export %q: %d %s", email, per, rec.Code, rec.Body)
			}
			recs, err := csv.NewReader(rec.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1+len(clients) || recs[0][0] != "client_id" {
				t.Fatalf("%s export %q: %v", email, per, recs)
			}
			month := now.UTC().Format("2006-01")
			if per == "last" {
				month = time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
			}
			seen := map[string]bool{}
			for _, r := range recs[1:] {
				if !mine[r[0]] || r[1] != "'=Client "+r[0]+" Ltd" || r[2] != r[0]+"1" || r[7] != month {
					t.Errorf("%s export %q has row %v", email, per, r)
				}
				seen[r[0]] = true
			}
			if len(seen) != len(clients) {
				t.Errorf("%s export %q: clients %v, want %v", email, per, seen, clients)
			}
		}
	}
	// Without a session: the login, no data.
	anon := &browser{t: t, h: h}
	if rec := anon.do("GET", "/reseller/export.csv", nil); rec.Code != http.StatusSeeOther || strings.Contains(rec.Body.String(), "client_id") {
		t.Errorf("anonymous export: %d %s", rec.Code, rec.Body)
	}
}

// TestResellerPortalSummaryPanel: the period picker keeps its choice,
// the totals row sums every service and the alerts name the service
// above 90% of its quota.
func TestResellerPortalSummaryPanel(t *testing.T) {
	h, _, _ := portalWorld(t)
	b := &browser{t: t, h: h}
	b.login("a@acme.example")
	rec := b.do("GET", "/reseller/?period=last", nil)
	body := rec.Body.String()
	for _, want := range []string{`<option value="last" selected>Last month</option>`, "Total (all pages)", "32.0 kB", "=Client 2 Ltd", "4.1 kB", ">4<", "<time datetime=", "154 B",
		`href="/reseller/export.csv?period=last"`} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "of its quota is used") || strings.Contains(body, "not sampled") {
		t.Errorf("an alert without cause:\n%s", body)
	}
}

// TestResellerPortalAlerts: above 90% of quota, not active, figures
// unreadable and a sample older than 2 hours are alerts; a fresh sample
// at 50% is not.
func TestResellerPortalAlerts(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	got := alerts([]reseller.Row{
		{ClientID: 1, ServiceID: 11, Status: "active", StoredBytes: 1 << 29, QuotaGB: 1, SampledAt: now.Add(-time.Minute)},
		{ClientID: 2, ServiceID: 21, Status: "active", StoredBytes: 9_500_000_000, QuotaGB: 10, SampledAt: now.Add(-time.Minute)},
		{ClientID: 3, ServiceID: 31, Status: "orphaned"},
		{ClientID: 4, ServiceID: 41, Status: "active", Failed: true},
		{ClientID: 5, ServiceID: 51, Status: "active", SampledAt: now.Add(-3 * time.Hour)},
	}, now)
	want := []string{"Client 2, service 21: 95% of its quota is used.", "Client 3, service 31: orphaned.",
		"Client 4, service 41: its figures could not be read.", "Client 5, service 51: its storage was not sampled in the last 2 hours."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A reseller with a second factor: the password alone brings back the
// form with the code's field; the code logs in; the same code again (a
// replay, after logging out) is refused.
func TestResellerPortalLoginWithTOTP(t *testing.T) {
	h, _, st := portalWorld(t)
	ctx := context.Background()
	r, err := st.ResellerByEmail(ctx, "a@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if err := st.SetResellerTOTP(ctx, r.ID, secret); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, h: h}
	form := func(code string) url.Values {
		page := b.do("GET", "/reseller/login", nil)
		v := url.Values{"csrf": {b.csrf(page.Body.String())}, "email": {"a@acme.example"}, "password": {"password of a@acme.example"}}
		if code != "" {
			v.Set("code", code)
		}
		return v
	}
	rec := b.do("POST", "/reseller/login", form(""))
	body := rec.Body.String()
	if rec.Code != http.StatusUnauthorized || !strings.Contains(body, "6-digit code") || !strings.Contains(body, `name="code"`) || !strings.Contains(body, `value="a@acme.example"`) {
		t.Fatalf("password alone: %d %s", rec.Code, body)
	}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("the password alone gave a session: %d", rec.Code)
	}
	if rec := b.do("POST", "/reseller/login", form("000000")); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "code is wrong") {
		t.Fatalf("wrong code: %d %s", rec.Code, rec.Body)
	}
	code, err := reseller.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rec := b.do("POST", "/reseller/login", form(code)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reseller/" {
		t.Fatalf("right code: %d %s", rec.Code, rec.Body)
	}
	if rec := b.do("GET", "/reseller/", nil); rec.Code != http.StatusOK {
		t.Fatalf("summary after the code: %d", rec.Code)
	}
	b.cookie = nil // another browser replays the code
	if rec := b.do("POST", "/reseller/login", form(code)); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "used already") {
		t.Fatalf("replayed code: %d %s", rec.Code, rec.Body)
	}
}
