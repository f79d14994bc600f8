package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/reseller"
	"staas/internal/store"
)

// benchWorld: one reseller whose client group holds n clients, each with
// one S3 service; figures and mappings in memory, so the benchmark is the
// portal's and the page's own cost.
type benchWorld struct{ n int64 }

func (w benchWorld) ResellerByID(_ context.Context, id int64) (store.Reseller, error) {
	return store.Reseller{ID: id, Name: "Bench", Email: "bench@example.com", State: store.ResellerActive,
		Source: store.ResellerSource{Kind: store.SourceGroup, Value: "7"}}, nil
}

func (w benchWorld) ClientsInGroup(context.Context, int64) ([]int64, error) {
	ids := make([]int64, w.n)
	for i := range ids {
		ids[i] = int64(i) + 1
	}
	return ids, nil
}

func (w benchWorld) ClientsWithField(context.Context, string, string) ([]int64, error) {
	return nil, nil
}

func (w benchWorld) S3UsersOfClient(_ context.Context, client int64) ([]staas.S3User, error) {
	return []staas.S3User{{ClientID: client, ServiceID: client*10 + 1, Cluster: "default", UserID: "u"}}, nil
}

type benchAuth struct{}

func (benchAuth) Login(context.Context, string, string, string, string) (int64, error) { return 1, nil }

// BenchmarkResellerSummary2000: one summary page (50 rows, totals and
// alerts over all 2,000) for a reseller with 2,000 clients; p50-ns/op is
// the median of the requests.
func BenchmarkResellerSummary2000(b *testing.B) {
	w := benchWorld{n: 2000}
	portal := &reseller.Portal{Accounts: w, Members: reseller.NewMembers(w, time.Hour), Mappings: w, Figures: resellerFigures{}}
	e := echo.New()
	newResellerUI(portal, benchAuth{}, []byte(strings.Repeat("k", 64)), nil).register(e)
	var cookie *http.Cookie
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		var req *http.Request
		if form != nil {
			req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(method, path, nil)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == resellerCookie {
				cookie = c
			}
		}
		return rec
	}
	page := do("GET", "/reseller/login", nil)
	m := csrfField.FindStringSubmatch(page.Body.String())
	if m == nil {
		b.Fatal("no CSRF token")
	}
	if rec := do("POST", "/reseller/login", url.Values{"csrf": {m[1]}, "email": {"bench@example.com"}, "password": {"x"}}); rec.Code != http.StatusSeeOther {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		rec := do("GET", "/reseller/?page=2", nil)
		took = append(took, time.Since(start))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ">40<") {
			b.Fatalf("summary: %d", rec.Code)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns/op")
}

// TestResellerPortalPaging: 120 services are three pages of 50; a page
// shows its own rows only, links to the others, and an out-of-range page
// is the last one.
func TestResellerPortalPaging(t *testing.T) {
	w := benchWorld{n: 120}
	portal := &reseller.Portal{Accounts: w, Members: reseller.NewMembers(w, time.Hour), Mappings: w, Figures: resellerFigures{}}
	e := echo.New()
	newResellerUI(portal, benchAuth{}, []byte(strings.Repeat("k", 64)), nil).register(e)
	b := &browser{t: t, h: e}
	page := b.do("GET", "/reseller/login", nil)
	if rec := b.do("POST", "/reseller/login", url.Values{"csrf": {b.csrf(page.Body.String())}, "email": {"bench@example.com"}, "password": {"x"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", rec.Code)
	}
	for _, c := range []struct {
		query      string
		first, not string
		current    string
	}{
		{"", `href="/reseller/clients/1"`, `href="/reseller/clients/51"`, ">1</strong>"},
		{"?page=2", `href="/reseller/clients/51"`, `href="/reseller/clients/50"`, ">2</strong>"},
		{"?page=99&period=last", `href="/reseller/clients/120"`, `href="/reseller/clients/100"`, ">3</strong>"},
	} {
		body := b.do("GET", "/reseller/"+c.query, nil).Body.String()
		if !strings.Contains(body, c.first) || strings.Contains(body, c.not+">") || !strings.Contains(body, c.current) || !strings.Contains(body, `&amp;page=`) {
			t.Errorf("%s: page wrong:\n%s", c.query, body)
		}
	}
}
