package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/reseller"
	"staas/internal/store"
)

// portalBuckets are every bucket name of portalWorld's users once the
// matrix has added client-level users to clients 2 and 3: a name in an
// answer tells whose data it is.
var portalBuckets = map[string]int64{"bucket-11": 1, "bucket-21": 2, "bucket-31": 3, "bucket-41": 4, "panel-2": 2, "panel-3": 3}

// leaks are the bucket names in body that are not of the clients in mine.
func leaks(body string, mine map[int64]bool) []string {
	var out []string
	for b, client := range portalBuckets {
		if !mine[client] && strings.Contains(body, b) {
			out = append(out, b)
		}
	}
	return out
}

// TestResellerPortalIsolationMatrix: three resellers with overlapping
// and disjoint clients (a: 1,2; b: 3; c: 2,3; client 4 nobody's),
// clients 2 and 3 with a client-level user beside their service. Every
// client page, its buckets' CSV and each with every service id, tried by
// every reseller with every client id (and guessed ones): 200 with only
// that client's (and service's) figures when the client is the
// reseller's, else 404 with nothing; the summary, its CSV and the top
// buckets and their CSV hold only the reseller's own clients' buckets.
func TestResellerPortalIsolationMatrix(t *testing.T) {
	h, _, st := portalWorld(t)
	ctx := context.Background()
	src, _ := store.ParseResellerSource("ids:2,3")
	if _, err := st.AddReseller(ctx, store.Reseller{Name: "c@cee.example", Email: "c@cee.example", Source: src}, "password of c@cee.example"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{2, 3} {
		id := strconv.FormatInt(c, 10)
		if err := st.SaveS3User(ctx, staas.S3User{ClientID: c, Cluster: "default", UserID: "panel" + id, Email: "panel" + id + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	services := map[int64][]int64{1: {11}, 2: {0, 21}, 3: {0, 31}, 4: {41}}
	own := map[string][]int64{"a@acme.example": {1, 2}, "b@beta.example": {3}, "c@cee.example": {2, 3}}
	tried := 0
	for email, clients := range own {
		b := &browser{t: t, h: h}
		b.login(email)
		mine := map[int64]bool{}
		for _, c := range clients {
			mine[c] = true
		}
		for _, path := range []string{"/reseller/", "/reseller/export.csv", "/reseller/export.csv?period=last", "/reseller/top-buckets.csv"} {
			rec := b.do("GET", path, nil)
			if rec.Code != http.StatusOK {
				t.Errorf("%s %s: %d", email, path, rec.Code)
			}
			if l := leaks(rec.Body.String(), mine); len(l) > 0 {
				t.Errorf("%s %s shows %v", email, path, l)
			}
			tried++
		}
		for _, client := range []string{"1", "2", "3", "4", "0", "-1", "99", "x", "1%2C3", "2.0"} {
			id, cerr := strconv.ParseInt(client, 10, 64)
			for _, svc := range []string{"", "0", "11", "21", "31", "41", "999", "-1", "x"} {
				sid, serr := strconv.ParseInt(svc, 10, 64)
				ok := cerr == nil && mine[id] && (svc == "" || (serr == nil && contains(services[id], sid)))
				// What the answer may show: the client's buckets, or the
				// one service's.
				allowed := map[int64]bool{}
				if ok {
					allowed[id] = true
				}
				for _, path := range []string{"/reseller/clients/" + client, "/reseller/clients/" + client + "/buckets.csv", "/reseller/clients/" + client + "?days=90"} {
					if svc != "" {
						path += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "service=" + svc
					}
					rec := b.do("GET", path, nil)
					tried++
					body := rec.Body.String()
					if !ok {
						if rec.Code != http.StatusNotFound || body != "Not found." {
							t.Errorf("%s %s: %d %q", email, path, rec.Code, body)
						}
						continue
					}
					if rec.Code != http.StatusOK {
						t.Errorf("%s %s: %d %s", email, path, rec.Code, body)
						continue
					}
					if l := leaks(body, allowed); len(l) > 0 {
						t.Errorf("%s %s shows %v", email, path, l)
					}
					if !strings.Contains(body, "bucket-") && !strings.Contains(body, "panel-") {
						t.Errorf("%s %s shows none of the client's buckets: %s", email, path, body)
					}
					if svc != "" { // one service: not the client's other
						for _, other := range services[id] {
							name := "bucket-" + strconv.FormatInt(other, 10)
							if other == 0 {
								name = "panel-" + client
							}
							if strconv.FormatInt(other, 10) != svc && strings.Contains(body, name) {
								t.Errorf("%s %s shows service %d's %s", email, path, other, name)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d requests, 0 leaks", tried)
}

func contains(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// TestResellerPortalClientMoved: a client moved from one reseller to
// another (its source reassigned, as staas reseller assign does, or the
// client moved between WHMCS groups) is gone from the first's pages and
// CSVs at its next request, and the second's sees it.
func TestResellerPortalClientMoved(t *testing.T) {
	h, _, st := portalWorld(t)
	ctx := context.Background()
	a, b := &browser{t: t, h: h}, &browser{t: t, h: h}
	a.login("a@acme.example")
	b.login("b@beta.example")
	if rec := a.do("GET", "/reseller/clients/2", nil); rec.Code != http.StatusOK {
		t.Fatalf("a's own client 2: %d", rec.Code)
	}
	ra, _ := st.ResellerByEmail(ctx, "a@acme.example")
	rb, _ := st.ResellerByEmail(ctx, "b@beta.example")
	src1, _ := store.ParseResellerSource("ids:1")
	src23, _ := store.ParseResellerSource("ids:2,3")
	if err := st.AssignReseller(ctx, ra.ID, src1); err != nil {
		t.Fatal(err)
	}
	if err := st.AssignReseller(ctx, rb.ID, src23); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/reseller/clients/2", "/reseller/clients/2/buckets.csv", "/reseller/clients/2?service=21"} {
		if rec := a.do("GET", path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("a after the move, %s: %d %s", path, rec.Code, rec.Body)
		}
		if rec := b.do("GET", path, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "bucket-21") {
			t.Errorf("b after the move, %s: %d", path, rec.Code)
		}
	}
	for _, path := range []string{"/reseller/", "/reseller/export.csv", "/reseller/top-buckets.csv"} {
		if body := a.do("GET", path, nil).Body.String(); strings.Contains(body, "Client 2 Ltd") {
			t.Errorf("a's %s still shows client 2", path)
		}
		if body := b.do("GET", path, nil).Body.String(); !strings.Contains(body, "Client 2 Ltd") {
			t.Errorf("b's %s lacks client 2", path)
		}
	}

	// By WHMCS group: the client moves groups; the next read (the TTL is
	// a nanosecond here) has it in the other reseller's.
	g := &groups{m: map[int64][]int64{5: {1, 2}, 6: {3}}}
	portal := &reseller.Portal{Accounts: st, Members: reseller.NewMembers(g, time.Nanosecond), Mappings: st, Figures: resellerFigures{}}
	hg := mustNew(t, Deps{ResellerPortal: portal, ResellerAuth: reseller.NewAuth(st, st), ResellerSessionKey: []byte(strings.Repeat("g", 64))})
	for id, grp := range map[int64]string{ra.ID: "group:5", rb.ID: "group:6"} {
		src, _ := store.ParseResellerSource(grp)
		if err := st.AssignReseller(ctx, id, src); err != nil {
			t.Fatal(err)
		}
	}
	ga, gb := &browser{t: t, h: hg}, &browser{t: t, h: hg}
	ga.login("a@acme.example")
	gb.login("b@beta.example")
	if rec := ga.do("GET", "/reseller/clients/2", nil); rec.Code != http.StatusOK {
		t.Fatalf("a's group client 2: %d", rec.Code)
	}
	g.set(map[int64][]int64{5: {1}, 6: {2, 3}})
	if rec := ga.do("GET", "/reseller/clients/2", nil); rec.Code != http.StatusNotFound {
		t.Errorf("a's moved client 2: %d", rec.Code)
	}
	if body := ga.do("GET", "/reseller/top-buckets.csv", nil).Body.String(); strings.Contains(body, "bucket-21") {
		t.Errorf("a's top buckets still hold client 2: %s", body)
	}
	if rec := gb.do("GET", "/reseller/clients/2", nil); rec.Code != http.StatusOK {
		t.Errorf("b's new client 2: %d", rec.Code)
	}
}

// groups is WHMCS's client groups, changeable, and failing while err is
// set.
type groups struct {
	mu  sync.Mutex
	m   map[int64][]int64
	err error
}

func (g *groups) set(m map[int64][]int64) { g.mu.Lock(); g.m = m; g.mu.Unlock() }

func (g *groups) fail(err error) { g.mu.Lock(); g.err = err; g.mu.Unlock() }

func (g *groups) ClientsInGroup(_ context.Context, id int64) ([]int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.m[id], g.err
}

func (g *groups) ClientsWithField(context.Context, string, string) ([]int64, error) { return nil, nil }

// TestResellerPortalWHMCSOutage: while WHMCS cannot be asked who the
// reseller's clients are, the summary says "WHMCS unreachable" and that
// its list is not current; client pages and every CSV answer 503 with
// the same words and no figures.
func TestResellerPortalWHMCSOutage(t *testing.T) {
	_, _, st := portalWorld(t)
	ctx := context.Background()
	g := &groups{m: map[int64][]int64{5: {1, 2}}}
	portal := &reseller.Portal{Accounts: st, Members: reseller.NewMembers(g, time.Nanosecond), Mappings: st, Figures: resellerFigures{}}
	h := mustNew(t, Deps{ResellerPortal: portal, ResellerAuth: reseller.NewAuth(st, st), ResellerSessionKey: []byte(strings.Repeat("o", 64))})
	ra, _ := st.ResellerByEmail(ctx, "a@acme.example")
	src, _ := store.ParseResellerSource("group:5")
	if err := st.AssignReseller(ctx, ra.ID, src); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, h: h}
	if body := b.login("a@acme.example"); strings.Contains(body, "unreachable") || !strings.Contains(body, "bucket-11") {
		t.Fatalf("before the outage: %s", body)
	}
	g.fail(errors.New("dial tcp 127.0.0.1:3306: connection refused"))
	rec := b.do("GET", "/reseller/", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "WHMCS unreachable") || !strings.Contains(body, "not current") || strings.Contains(body, "3306") {
		t.Errorf("summary in the outage: %d %s", rec.Code, body)
	}
	for _, path := range []string{"/reseller/clients/1", "/reseller/clients/1/buckets.csv", "/reseller/export.csv", "/reseller/top-buckets.csv"} {
		rec := b.do("GET", path, nil)
		if rec.Code != http.StatusServiceUnavailable || !strings.HasPrefix(rec.Body.String(), "WHMCS unreachable") || strings.Contains(rec.Body.String(), "bucket-") {
			t.Errorf("%s in the outage: %d %s", path, rec.Code, rec.Body)
		}
	}
	g.fail(nil)
	if rec := b.do("GET", "/reseller/clients/1", nil); rec.Code != http.StatusOK {
		t.Errorf("after the outage: %d", rec.Code)
	}
}
