package loadbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/mariadbtest"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// TestMain starts the private MariaDB only when benchmarks run: `go test
// ./...` runs no benchmark here and needs no server.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	mariadbtest.Main(m)
}

var secret = []byte("loadbench-shim-secret-0123456789abcdef")

// admin may view and change everything.
var admin = staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}

// world is staas's routes over a store (SQLite, or MariaDB) and the ostor
// simulator, served on 127.0.0.1 as serve serves them.
type world struct {
	*testworld.World
	st  *store.Store
	url string
	hc  *http.Client
	// gw is the gateway client staas's provisioning uses; its requests
	// pass through meter.
	gw    *ostor.Client
	meter *meter
}

// meter measures the wall time during which at least one gateway request
// is being answered: the gateway's share of a staas request, to subtract
// from the whole to get staas's own.
type meter struct {
	next     http.Handler
	mu       sync.Mutex
	inflight int
	since    time.Time
	busy     time.Duration
}

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	if m.inflight == 0 {
		m.since = time.Now()
	}
	m.inflight++
	m.mu.Unlock()
	m.next.ServeHTTP(w, r)
	m.mu.Lock()
	m.inflight--
	if m.inflight == 0 {
		m.busy += time.Since(m.since)
	}
	m.mu.Unlock()
}

// take returns the gateway time since the last take.
func (m *meter) take() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.busy
	m.busy = 0
	return d
}

func newWorld(b *testing.B, backend string) *world {
	b.Helper()
	ctx := context.Background()
	w := testworld.New(b, testworld.Options{Sim: ostorsim.Options{WallClock: true}})
	// The WHMCS stand-in's database (where key-pair notes go) is one
	// SQLite file in rollback-journal mode, each note a few fsyncs and
	// its writers racing in SQLite's busy handler: not WHMCS's MySQL,
	// and not staas. One connection in WAL mode without a sync at
	// every commit keeps it out of the figures.
	w.WHMCSDB.SetMaxOpenConns(1)
	for _, p := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF"} {
		if _, err := w.WHMCSDB.ExecContext(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	st := w.Store
	if backend == "mariadb" {
		var err error
		if st, err = store.Open(ctx, "mysql", mariadbtest.NewDatabase(b)); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
	}
	m := &meter{next: w.Sim}
	gsrv := httptest.NewServer(m)
	b.Cleanup(gsrv.Close)
	creds := w.Sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: gsrv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	svc := provision.New(provision.Config{Gateway: gw, Store: st, WHMCS: w.Bridge})
	e, err := handlers.New(handlers.Deps{Logger: slog.New(slog.DiscardHandler),
		Shim:      &whmcsbridge.Verifier{Secret: secret, Nonces: st},
		Provision: svc, Panels: st, Audit: st, Services: st,
		Usage: &usage.Figures{Reader: &usage.Reader{Store: st}, Services: st, Quotas: w.Registry},
		Daily: func(context.Context) []string { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	hc := &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	b.Cleanup(hc.CloseIdleConnections)
	return &world{World: w, st: st, url: srv.URL, hc: hc, gw: gw, meter: m}
}

// post sends payload to path signed as the shim signs it and returns the
// answer's body; anything but 200 is an error.
func (w *world) post(path string, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, w.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if err := whmcsbridge.SignRequest(req, secret, time.Now(), body); err != nil {
		return nil, err
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", path, resp.StatusCode, raw)
	}
	return raw, nil
}

// act runs an admin action on client 1 and wants success.
func (w *world) act(action string, params map[string]string) error {
	raw, err := w.post(whmcsbridge.ActionPath(action), whmcsbridge.ActionRequest{Admin: admin, ClientID: 1, Params: params})
	if err != nil {
		return err
	}
	var res whmcsbridge.Result
	if err := json.Unmarshal(raw, &res); err != nil || res.Result != "success" {
		return fmt.Errorf("%s: %s", action, raw)
	}
	return nil
}

// panels renders client 1's panels for admin and returns the HTML.
func (w *world) panels() (string, error) {
	html, _, err := w.timedPanels()
	return html, err
}

// timedPanels is panels, with the time from sending the request to
// having read the whole answer: decoding the JSON is the shim's work
// (PHP's json_decode), and Go's decoder would take longer than staas.
func (w *world) timedPanels() (string, time.Duration, error) {
	t0 := time.Now()
	raw, err := w.post(whmcsbridge.PathPanels, whmcsbridge.AdminRequest{Admin: admin, ClientID: 1, ActionURL: "staas-action.php", Token: "tok"})
	d := time.Since(t0)
	if err != nil {
		return "", d, err
	}
	var res whmcsbridge.PanelsResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", d, err
	}
	return res.HTML, d, nil
}

// timedLinks is timedPanels of the "Other Actions" links hook: the
// links' HTML joined.
func (w *world) timedLinks() (string, time.Duration, error) {
	t0 := time.Now()
	raw, err := w.post(whmcsbridge.PathLinks, whmcsbridge.AdminRequest{Admin: admin, ClientID: 1, ActionURL: "staas-action.php", Token: "tok"})
	d := time.Since(t0)
	if err != nil {
		return "", d, err
	}
	var res whmcsbridge.LinksResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", d, err
	}
	return strings.Join(res.Links, ""), d, nil
}

// seedUsers creates n S3 users on the gateway, workers at a time, and
// returns their ids in order (user i's email is user-i@load.example).
func seedUsers(b *testing.B, gw *ostor.Client, n int) []string {
	b.Helper()
	ids := make([]string, n)
	errs := make(chan error, 1)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				u, err := gw.CreateUser(context.Background(), email(i))
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				ids[i] = u.ID
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return ids
}

func email(i int) string { return fmt.Sprintf("user-%06d@load.example", i) }

// quantile is the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
