package reseller

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/store"
	"staas/internal/whmcs"
	"staas/standin/whmcssim"
)

// swapClients is a Clients a test can swap: WHMCS's database reachable,
// then not.
type swapClients struct {
	mu sync.Mutex
	to Clients
}

func (s *swapClients) set(c Clients) { s.mu.Lock(); s.to = c; s.mu.Unlock() }

func (s *swapClients) get() Clients { s.mu.Lock(); defer s.mu.Unlock(); return s.to }

func (s *swapClients) ClientsInGroup(ctx context.Context, g int64) ([]int64, error) {
	return s.get().ClientsInGroup(ctx, g)
}

func (s *swapClients) ClientsWithField(ctx context.Context, f, v string) ([]int64, error) {
	return s.get().ClientsWithField(ctx, f, v)
}

// TestMembers_BothModes is TestMembers over the real WHMCS bridges, in
// mysql mode (WHMCS's tables) and api mode (its External API): group and
// field sources read the same clients; a client moved out of the group
// stays until the TTL ends and is gone at the next read; WHMCS out of
// reach gives EUNAVAILABLE and the last set only as stale, with its age.
func TestMembers_BothModes(t *testing.T) {
	for _, mode := range []string{whmcs.ModeMySQL, whmcs.ModeAPI} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
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
			must(whmcssim.SeedClients(ctx, wdb, []staas.Client{{ID: 7, Email: "g@example.com"}, {ID: 10, Email: "a@example.com"}, {ID: 12, Email: "b@example.com"}}))
			must(whmcssim.SetClientGroup(ctx, wdb, 10, 3))
			must(whmcssim.SetClientGroup(ctx, wdb, 12, 3))
			must(whmcssim.SetClientField(ctx, wdb, 7, "Reseller", "acme"))
			var fieldID int64
			must(wdb.QueryRowContext(ctx, `SELECT id FROM tblcustomfields WHERE fieldname = 'Reseller'`).Scan(&fieldID))

			var clients Clients
			var outage func()
			switch mode {
			case whmcs.ModeMySQL:
				sw := &swapClients{to: whmcs.NewDBBridge(whmcs.NewDB(wdb))}
				clients = sw
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
				clients = whmcs.NewAPIBridge(c)
				outage = func() { sim.SetDown(true) }
			}

			m := NewMembers(clients, 0)
			now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
			m.now = func() time.Time { return now }
			group := store.Reseller{ID: 1, Source: store.ResellerSource{Kind: store.SourceGroup, Value: "3"}}
			field := store.Reseller{ID: 2, Source: store.ResellerSource{Kind: store.SourceField, Value: strconv.FormatInt(fieldID, 10) + "=acme"}}

			if set, err := m.Of(ctx, group); err != nil || set.Stale || !reflect.DeepEqual(set.IDs, []int64{10, 12}) {
				t.Fatalf("group set %+v %v", set, err)
			}
			if set, err := m.Of(ctx, field); err != nil || !reflect.DeepEqual(set.IDs, []int64{7}) {
				t.Fatalf("field set %+v %v", set, err)
			}
			must(whmcssim.SetClientGroup(ctx, wdb, 12, 0))
			now = now.Add(30 * time.Second)
			if set, _ := m.Of(ctx, group); !set.Has(12) {
				t.Fatalf("within the TTL: %+v", set)
			}
			now = now.Add(31 * time.Second)
			if set, err := m.Of(ctx, group); err != nil || set.Has(12) || !set.Has(10) {
				t.Fatalf("after the TTL: %+v %v", set, err)
			}
			at := now

			outage()
			now = now.Add(2 * time.Minute)
			set, err := m.Of(ctx, group)
			if staas.ErrorCode(err) != staas.EUNAVAILABLE || !set.Stale || !set.At.Equal(at) || set.Age(now) != 2*time.Minute {
				t.Fatalf("outage: set %+v, err %v", set, err)
			}
			if set, err := m.Of(ctx, field); staas.ErrorCode(err) != staas.EUNAVAILABLE || !set.Stale {
				t.Fatalf("outage, field: set %+v, err %v", set, err)
			}
		})
	}
}
