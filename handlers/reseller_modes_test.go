package handlers

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/reseller"
	"staas/internal/store"
	"staas/internal/whmcs"
	"staas/standin/whmcssim"
)

// modeBridge is what the portal reads of WHMCS, as serve wires it.
type modeBridge interface {
	reseller.Clients
	reseller.Plans
}

// TestResellerPortalBothModes: the portal over a real WHMCS bridge, in
// mysql mode (WHMCS's tables) and api mode (its External API, the
// stand-in's), with the same WHMCS: a reseller of client group 5 and one
// of a custom field's value see their own clients, names and plans; a
// client moved out of the group is gone at the next read; with WHMCS out
// of reach the summary says "WHMCS unreachable" and client pages answer
// 503 with no figures.
func TestResellerPortalBothModes(t *testing.T) {
	for _, mode := range []string{whmcs.ModeMySQL, whmcs.ModeAPI} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			_, _, st := portalWorld(t)
			wdb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "whmcs.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { wdb.Close() })
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(whmcssim.CreateSchema(ctx, wdb))
			var clients []staas.Client
			for id := int64(1); id <= 4; id++ {
				clients = append(clients, staas.Client{ID: id, CompanyName: "Client " + strconv.FormatInt(id, 10) + " Ltd", Email: strconv.FormatInt(id, 10) + "@example.com"})
			}
			must(whmcssim.SeedClients(ctx, wdb, clients))
			for id, group := range map[int64]int64{1: 5, 2: 5, 3: 6} {
				must(whmcssim.SetClientGroup(ctx, wdb, id, group))
			}
			must(whmcssim.SetClientField(ctx, wdb, 3, "Reseller", "beta"))
			for _, svc := range []int64{11, 21, 31, 41} {
				must(whmcssim.SetService(ctx, wdb, svc, svc/10, "Active"))
			}
			must(whmcssim.SetProductQuota(ctx, wdb, 5, 11, "5"))
			must(whmcssim.SetProductName(ctx, wdb, 5, "S3 Gold"))
			var fieldID int64
			must(wdb.QueryRowContext(ctx, `SELECT id FROM tblcustomfields WHERE fieldname = 'Reseller'`).Scan(&fieldID))

			var bridge modeBridge
			var names reseller.Names
			var outage func()
			switch mode {
			case whmcs.ModeMySQL:
				// The outage: the same bridge code over a MySQL server
				// that refuses connections.
				sw := &switchBridge{to: whmcs.NewDBBridge(whmcs.NewDB(wdb))}
				bridge, names = sw, sw.to
				outage = func() {
					down, err := whmcs.OpenMySQL("whmcs:pw@tcp(127.0.0.1:1)/whmcs", time.Second)
					must(err)
					t.Cleanup(func() { down.Close() })
					sw.set(whmcs.NewDBBridge(down))
				}
			case whmcs.ModeAPI:
				sim := whmcssim.NewAPI(wdb, whmcssim.Credentials{Identifier: "id", Secret: "api secret"})
				srv := httptest.NewServer(sim)
				t.Cleanup(srv.Close)
				c, err := whmcs.NewAPIClient(whmcs.APIConfig{URL: srv.URL + whmcssim.APIPath, Identifier: "id", Secret: "api secret", Timeout: 2 * time.Second})
				must(err)
				b := whmcs.NewAPIBridge(c)
				bridge, names = b, b.PortalNames()
				outage = func() { sim.SetDown(true) }
			}
			portal := &reseller.Portal{Accounts: st, Members: reseller.NewMembers(bridge, time.Nanosecond), Mappings: st,
				Figures: resellerFigures{}, Names: names, Plans: bridge}
			h := mustNew(t, Deps{ResellerPortal: portal, ResellerAuth: reseller.NewAuth(st, st), ResellerSessionKey: []byte(strings.Repeat("m", 64))})
			for email, src := range map[string]string{"a@acme.example": "group:5", "b@beta.example": "field:" + strconv.FormatInt(fieldID, 10) + "=beta"} {
				r, _ := st.ResellerByEmail(ctx, email)
				s, err := store.ParseResellerSource(src)
				must(err)
				must(st.AssignReseller(ctx, r.ID, s))
			}

			a, b := &browser{t: t, h: h}, &browser{t: t, h: h}
			sum := a.login("a@acme.example")
			if l := leaks(sum, map[int64]bool{1: true, 2: true}); len(l) > 0 || !strings.Contains(sum, "bucket-11") || !strings.Contains(sum, "bucket-21") {
				t.Fatalf("a's summary: leaks %v\n%s", l, sum)
			}
			if !strings.Contains(sum, "Client 1 Ltd") || !strings.Contains(sum, "S3 Gold") {
				t.Fatalf("a's summary lacks WHMCS's client name or plan:\n%s", sum)
			}
			sum = b.login("b@beta.example")
			if l := leaks(sum, map[int64]bool{3: true}); len(l) > 0 || !strings.Contains(sum, "bucket-31") || !strings.Contains(sum, "Client 3 Ltd") {
				t.Fatalf("b's summary: leaks %v\n%s", l, sum)
			}

			must(whmcssim.SetClientGroup(ctx, wdb, 2, 6))
			if rec := a.do("GET", "/reseller/clients/2", nil); rec.Code != http.StatusNotFound {
				t.Fatalf("a's client 2 after it left group 5: %d", rec.Code)
			}
			if body := a.do("GET", "/reseller/", nil).Body.String(); strings.Contains(body, "bucket-21") || !strings.Contains(body, "bucket-11") {
				t.Fatalf("a's summary after client 2 left group 5:\n%s", body)
			}

			outage()
			rec := a.do("GET", "/reseller/", nil)
			if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, "WHMCS unreachable") || !strings.Contains(body, "not current") {
				t.Fatalf("summary with WHMCS out of reach: %d\n%s", rec.Code, body)
			}
			for _, path := range []string{"/reseller/clients/1", "/reseller/export.csv"} {
				if rec := a.do("GET", path, nil); rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "bucket-") {
					t.Fatalf("%s with WHMCS out of reach: %d %s", path, rec.Code, rec.Body)
				}
			}
		})
	}
}

// switchBridge is a DBBridge that a test can swap for another.
type switchBridge struct {
	mu sync.Mutex
	to *whmcs.DBBridge
}

func (s *switchBridge) set(b *whmcs.DBBridge) { s.mu.Lock(); s.to = b; s.mu.Unlock() }

func (s *switchBridge) get() *whmcs.DBBridge { s.mu.Lock(); defer s.mu.Unlock(); return s.to }

func (s *switchBridge) ClientsInGroup(ctx context.Context, g int64) ([]int64, error) {
	return s.get().ClientsInGroup(ctx, g)
}

func (s *switchBridge) ClientsWithField(ctx context.Context, f, v string) ([]int64, error) {
	return s.get().ClientsWithField(ctx, f, v)
}

func (s *switchBridge) ServicePlans(ctx context.Context, ids []int64) (map[int64]string, error) {
	return s.get().ServicePlans(ctx, ids)
}
